"""The fast path leans on private internals of uvicorn, Starlette, FastAPI and SQLAlchemy (docs/deployment.md,
PAYKEEP_FAST_PATH). Each test here checks one of them is still where and what the fast path expects, and
fails naming it: after an upgrade, either adapt the fast path or run with PAYKEEP_FAST_PATH=0 (and keep the
upper bounds in pyproject.toml until it is adapted)."""

from __future__ import annotations

import inspect
import typing
from typing import Annotated, Any

import pytest
from fastapi import Depends, Request


def moved(internal: str, detail: str) -> str:
    return (f"fast path internal moved: {internal}: {detail}. Adapt the fast path that uses it "
            "(docs/deployment.md, 'The fast path') or serve with PAYKEEP_FAST_PATH=0.")


def source_of(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as exc:  # pragma: no cover - only when the internal is gone
        pytest.fail(moved(getattr(obj, "__qualname__", repr(obj)), f"no source ({exc})"))


def params_of(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)


# -- web/http_protocol.py: CoalescingHttpToolsProtocol ------------------------------------------------------
def test_uvicorn_httptools_protocol_takes_a_transport_and_writes_through_it():
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError as exc:
        pytest.fail(moved("uvicorn.protocols.http.httptools_impl.HttpToolsProtocol", str(exc)))
    made = HttpToolsProtocol.connection_made
    assert params_of(made) == ["self", "transport"], moved(
        "HttpToolsProtocol.connection_made", f"signature is now {inspect.signature(made)}")
    src = source_of(HttpToolsProtocol)
    # the wrapper replaces the transport handed to connection_made: every write must go through that one
    assert "self.transport = transport" in src, moved(
        "HttpToolsProtocol", "no longer keeps connection_made's transport as self.transport")
    assert "self.transport.write(" in src, moved(
        "HttpToolsProtocol", "no longer writes through self.transport")
    assert "self.loop =" in src, moved("HttpToolsProtocol.loop", "the protocol's event loop attribute")


# -- web/front_door.py: FrontDoor -------------------------------------------------------------------------
def test_starlette_routes_match_with_path_regex_param_convertors_and_methods():
    from starlette.routing import Route

    async def endpoint(request: Any) -> None: ...

    route = Route("/v1/things/{thing_id}", endpoint, methods=["GET"])
    for name in ("path_regex", "param_convertors", "methods", "endpoint", "path", "app"):
        assert hasattr(route, name), moved(f"starlette.routing.Route.{name}", "attribute gone")
    match = route.path_regex.match("/v1/things/th_1")
    assert match is not None and match.groupdict() == {"thing_id": "th_1"}, moved(
        "starlette.routing.Route.path_regex", "no longer a regex of the path's parameters")
    assert route.param_convertors["thing_id"].convert("th_1") == "th_1", moved(
        "starlette.routing.Route.param_convertors", "convertors without convert()")
    assert "GET" in route.methods, moved("starlette.routing.Route.methods", "not a set of method names")


def test_starlette_router_puts_route_endpoint_and_path_params_in_the_scope():
    """The short way sets what the router would (scope['route'], ['endpoint'], ['path_params']); metrics
    label requests by scope['route'].path in both modes."""
    from starlette.routing import Router

    src = source_of(Router.app)
    assert 'scope["route"] = route' in src, moved("starlette.routing.Router.app", "scope['route'] not set")
    assert "scope.update(child_scope)" in src, moved("starlette.routing.Router.app", "child scope not merged")
    from starlette.routing import Route

    src = source_of(Route.matches)
    assert '"endpoint"' in src and '"path_params"' in src, moved(
        "starlette.routing.Route.matches", "child scope without endpoint / path_params")


def test_starlette_app_builds_its_stack_once_and_has_exception_handlers():
    from fastapi import FastAPI
    from starlette.applications import Starlette

    src = source_of(Starlette.__call__)
    assert "build_middleware_stack()" in src and 'scope["app"] = self' in src, moved(
        "starlette.applications.Starlette.__call__",
        "no longer builds self.middleware_stack and sets scope['app']")
    assert params_of(Starlette.build_middleware_stack) == ["self"], moved(
        "Starlette.build_middleware_stack", "signature changed")
    app = FastAPI()

    @app.exception_handler(ValueError)
    async def _h(_request: Any, _exc: Exception) -> None: ...

    assert isinstance(app.exception_handlers, dict) and app.exception_handlers.get(ValueError) is _h, moved(
        "FastAPI.exception_handlers", "no longer a dict of exception class -> handler")


# -- web/api/route.py: ApiRoute -----------------------------------------------------------------------------
async def build(request: Request) -> str:
    return "built"


async def endpoint(thing_id: str, api: Annotated[str, Depends(build)]) -> None: ...


def test_fastapi_apiroute_builds_its_app_and_convertors_in_init():
    from fastapi.routing import APIRoute

    try:
        from fastapi.params import Depends as DependsParam
    except ImportError as exc:
        pytest.fail(moved("fastapi.params.Depends", str(exc)))

    route = APIRoute("/v1/things/{thing_id}", endpoint)
    assert callable(route.app) and set(route.param_convertors) == {"thing_id"}, moved(
        "fastapi.routing.APIRoute", "__init__ no longer sets app / param_convertors")
    hints = typing.get_type_hints(endpoint, include_extras=True)
    depends = [m for m in getattr(hints["api"], "__metadata__", ()) if isinstance(m, DependsParam)]
    assert depends and depends[0].dependency is build, moved(
        "fastapi.params.Depends.dependency", "Depends() in Annotated no longer carries .dependency")


# -- adapters/db/repository.py: _DriverSelect ---------------------------------------------------------------
def test_sqlalchemy_compiled_select_gives_sql_order_defaults_and_processors():
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, bindparam, select
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.sql.compiler import SQLCompiler

    assert "_check" in params_of(SQLCompiler.construct_params), moved(
        "sqlalchemy SQLCompiler.construct_params(_check=)", "the keyword is gone")
    t = Table("t", MetaData(), Column("id", String), Column("n", Integer), Column("at", DateTime))
    stmt = select(t).where(t.c.id == bindparam("pk")).limit(1)
    dialect = sqlite.dialect()
    compiled = stmt.compile(dialect=dialect)
    order = list(getattr(compiled, "positiontup", None) or [])
    assert order[:2] == ["pk", "param_1"], moved("SQLCompiler.positiontup", f"now {order!r}")
    assert isinstance(compiled.string, str) and compiled.string.count("?") == len(order), moved(
        "SQLCompiler.string", "not the positional SQL of positiontup's parameters")
    assert compiled.construct_params(_check=False).get("param_1") == 1, moved(
        "SQLCompiler.construct_params", "LIMIT's literal parameter missing")
    assert isinstance(getattr(compiled, "_bind_processors", None), dict), moved(
        "SQLCompiler._bind_processors", "gone or not a dict")
    assert [c.key for c in stmt.selected_columns] == ["id", "n", "at"], moved(
        "Select.selected_columns", "column keys differ")
    processor = t.c.at.type.dialect_impl(dialect).result_processor(dialect, None)
    assert processor is not None and processor("2026-01-01 00:00:00").year == 2026, moved(
        "TypeEngine.dialect_impl().result_processor(dialect, coltype)", "SQLite DateTime no longer converts")


def test_sqlalchemy_sqlite_connection_exposes_the_driver_and_wraps_its_errors():
    import sqlite3

    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError, OperationalError

    assert params_of(DBAPIError.instance)[:4] == ["statement", "params", "orig", "dbapi_base_err"], moved(
        "sqlalchemy.exc.DBAPIError.instance", f"signature is now {inspect.signature(DBAPIError.instance)}")
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        driver = getattr(conn.connection, "driver_connection", None)
        assert isinstance(driver, sqlite3.Connection), moved(
            "Connection.connection.driver_connection", f"is {type(driver).__name__}, not sqlite3.Connection")
    locked = sqlite3.OperationalError("database is locked")
    wrapped = DBAPIError.instance("SELECT 1", [], locked, sqlite3.Error)
    assert isinstance(wrapped, OperationalError), moved("DBAPIError.instance", "no longer maps driver errors")
    engine.dispose()


def test_driver_selects_return_what_sqlalchemy_returns():
    """The end-to-end check of the above: the same rows, typed the same, either way (fast path on and off)."""
    import datetime

    from sqlalchemy import (
        Boolean,
        Column,
        DateTime,
        Integer,
        MetaData,
        String,
        Table,
        bindparam,
        create_engine,
        select,
    )

    from paykeep.adapters.db import repository

    t = Table("things", MetaData(), Column("id", String, primary_key=True), Column("n", Integer),
              Column("ok", Boolean), Column("at", DateTime))
    engine = create_engine("sqlite://")
    t.metadata.create_all(engine)
    at = datetime.datetime(2026, 1, 2, 3, 4, 5)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"id": "a", "n": 1, "ok": True, "at": at},
                                  {"id": "b", "n": 2, "ok": False, "at": None}])

        def build() -> Any:
            return select(t).where(t.c.n >= bindparam("least")).order_by(t.c.id)

        try:
            repository.use_driver_selects(True)
            fast = repository._select_rows(conn, ("test-internals", t), build, {"least": 1})
            repository.use_driver_selects(False)
            stock = repository._select_rows(conn, ("test-internals", t), build, {"least": 1})
        finally:
            repository.use_driver_selects(True)
    engine.dispose()
    assert stock == [{"id": "a", "n": 1, "ok": True, "at": at}, {"id": "b", "n": 2, "ok": False, "at": None}]
    assert fast == stock, moved("_DriverSelect (compiled SQL, bind and result processors)",
                                f"{fast} != {stock}")
    assert [type(v) for v in fast[0].values()] == [type(v) for v in stock[0].values()]
