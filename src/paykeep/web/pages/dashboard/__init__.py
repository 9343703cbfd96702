"""The merchant dashboard at /dashboard: server-rendered pages over the API's use cases.

`paykeep.web.pages.dashboard_routes.router` gathers the routers of these modules.
"""
