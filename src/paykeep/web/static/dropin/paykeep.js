/* paykeep.js: a Stripe.js-compatible client for paykeep (API.md §10, docs/dropin.md). Served by paykeep at
   /v3/ (and /js/paykeep.js); defines window.Stripe and window.WooshPay (the same function).

   The card inputs live in frames served by paykeep (/elements/...): this page's DOM, scripts and network never
   see a card number or CVC. Frames and this script talk with postMessage, each checking the other's origin and
   window; what crosses is events (empty, complete, brand, error codes), commands, and PaymentMethod objects (the
   frame tokenises straight to paykeep). The API base is the origin (and path) this script was loaded from.
   Plain modern JavaScript, no build step. */
(function () {
  "use strict";

  if (window.Stripe && window.Stripe.paykeep) { return; }

  var VERSION = "paykeep.js/1";
  var PROTOCOL = "paykeep";
  var script = document.currentScript;
  var SCRIPT_BASE = script && script.src ? baseOf(script.src) : null;

  function baseOf(src) {
    var u = new URL(src, location.href);
    var path = u.pathname.replace(/\/(v3\/?|js\/paykeep\.js)$/, "").replace(/\/+$/, "");
    return u.origin + path;
  }

  function originOf(url) {
    try { return new URL(url, location.href).origin; } catch (_e) { return null; }
  }

  // -- errors -------------------------------------------------------------------------------------------------
  function IntegrationError(message) {
    var e = new Error(message);
    e.name = "IntegrationError";
    Object.setPrototypeOf(e, IntegrationError.prototype);
    return e;
  }
  IntegrationError.prototype = Object.create(Error.prototype, { constructor: { value: IntegrationError } });

  function connectionError() {
    return { type: "api_connection_error", message: "Could not connect to paykeep. Check the network and try again." };
  }

  function randomId(bytes) {
    var b = new Uint8Array(bytes || 12);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function omit(obj, names) {
    var out = {};
    Object.keys(obj || {}).forEach(function (k) { if (names.indexOf(k) < 0 && obj[k] !== undefined) { out[k] = obj[k]; } });
    return out;
  }

  function encode(value, prefix, out) {
    if (value === null || value === undefined) { return out; }
    if (Array.isArray(value)) {
      value.forEach(function (v, i) { encode(v, prefix + "[" + i + "]", out); });
    } else if (typeof value === "object") {
      Object.keys(value).forEach(function (k) { encode(value[k], prefix ? prefix + "[" + k + "]" : k, out); });
    } else {
      out.push(encodeURIComponent(prefix) + "=" + encodeURIComponent(String(value)));
    }
    return out;
  }

  var INTENTS = {
    setup_intent: { path: "setup_intents", result: "setupIntent", prefix: "seti_", error: "last_setup_error",
                    failure: "setup_intent_authentication_failure",
                    message: "We are unable to authenticate your payment method. Please choose a different payment method and try again." },
    payment_intent: { path: "payment_intents", result: "paymentIntent", prefix: "pi_", error: "last_payment_error",
                      failure: "payment_intent_authentication_failure",
                      message: "We are unable to authenticate your payment method. Please choose a different payment method and try again." }
  };

  function parseSecret(method, clientSecret, expected) {
    var at = typeof clientSecret === "string" ? clientSecret.indexOf("_secret_") : -1;
    var id = at > 0 ? clientSecret.slice(0, at) : "";
    var kind = id.indexOf("seti_") === 0 ? "setup_intent" : id.indexOf("pi_") === 0 ? "payment_intent" : null;
    if (!kind || (expected && kind !== expected) || /[^A-Za-z0-9_]/.test(clientSecret)) {
      throw IntegrationError("Invalid value for " + method + " intent secret: value should be a client secret of the form " +
        "${id}_secret_${secret}" + (expected ? " for a " + expected.replace("_", " ") : "") + ".");
    }
    return { kind: kind, id: id, secret: clientSecret };
  }

  // -- the modal for 3-D Secure ------------------------------------------------------------------------------------
  function frameUrl(url) {
    if (/[?&]frame=1(&|$)/.test(url)) { return url; }
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "frame=1";
  }

  /** The challenge's URL from an intent's next_action (any dialect), or null. `framed`: its framable variant. */
  function actionUrl(action, framed) {
    if (!isObject(action)) { return null; }
    var sdk = action.use_stripe_sdk, url = null;
    if (action.type === "use_stripe_sdk" && isObject(sdk)) {
      url = typeof sdk.stripe_js === "string" ? sdk.stripe_js : (typeof sdk.url === "string" ? sdk.url : null);
      if (url && !framed) { url = url.replace(/([?&])frame=1(&|$)/, function (_m, a, b) { return b ? a : ""; }); }
    } else if (isObject(action.redirect_to_url)) {
      url = action.redirect_to_url.url;
    } else if (isObject(action.challenge_redirect)) {
      url = action.challenge_redirect.url;
    }
    if (typeof url !== "string" || !/^https?:\/\//.test(url)) { return null; }
    return framed ? frameUrl(url) : url;
  }

  function openModal(url, intentId) {
    return new Promise(function (resolve) {
      var origin = originOf(url);
      var overlay = document.createElement("div");
      overlay.id = "paykeep-3ds-modal";
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      overlay.setAttribute("aria-label", "Confirm your card (3-D Secure)");
      Object.assign(overlay.style, {
        position: "fixed", top: "0", left: "0", right: "0", bottom: "0", zIndex: "2147483647",
        background: "rgba(30, 32, 40, 0.55)", display: "flex", alignItems: "center", justifyContent: "center"
      });
      var box = document.createElement("div");
      Object.assign(box.style, {
        position: "relative", width: "min(500px, calc(100vw - 24px))", height: "min(620px, calc(100vh - 24px))",
        background: "#fff", borderRadius: "8px", overflow: "hidden", boxShadow: "0 10px 40px rgba(0,0,0,0.35)"
      });
      var frame = document.createElement("iframe");
      frame.src = url;
      frame.name = "paykeep-3ds-" + randomId(6);
      frame.title = "3-D Secure authentication";
      frame.setAttribute("frameborder", "0");
      Object.assign(frame.style, { border: "0", width: "100%", height: "100%", display: "block" });
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "\u00d7";
      close.setAttribute("aria-label", "Cancel authentication");
      close.className = "paykeep-3ds-close";
      Object.assign(close.style, {
        position: "absolute", top: "6px", right: "8px", border: "0", background: "transparent", fontSize: "24px",
        lineHeight: "24px", cursor: "pointer", color: "#555", padding: "4px 8px"
      });
      box.appendChild(frame);
      box.appendChild(close);
      overlay.appendChild(box);
      var previousOverflow = document.body.style.overflow;
      document.body.style.overflow = "hidden";
      document.body.appendChild(overlay);

      function finish(outcome) {
        window.removeEventListener("message", onMessage);
        document.removeEventListener("keydown", onKey, true);
        if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
        document.body.style.overflow = previousOverflow;
        resolve(outcome);
      }
      function onMessage(event) {
        if (event.source !== frame.contentWindow || event.origin !== origin) { return; }
        var data = event.data;
        if (!isObject(data) || data.type !== "paykeep:3ds-complete") { return; }
        if (data.intent && intentId && data.intent !== intentId) { return; }
        finish(typeof data.outcome === "string" ? data.outcome : "answered");
      }
      function onKey(event) { if (event.key === "Escape") { finish("cancelled"); } }
      close.addEventListener("click", function () { finish("cancelled"); });
      window.addEventListener("message", onMessage);
      document.addEventListener("keydown", onKey, true);
    });
  }

  // -- Elements ----------------------------------------------------------------------------------------------------
  var TYPES = ["card", "cardNumber", "cardExpiry", "cardCvc", "payment"];
  var SPLIT = ["cardNumber", "cardExpiry", "cardCvc"];
  // the events an Element sends; others (Stripe's wallet and saved-card events) are accepted and never fire
  var EVENTS = ["ready", "change", "focus", "blur", "escape"];
  var HEIGHTS = { payment: 230 };
  var byWindow = [];  // [contentWindow, element] of the mounted Elements

  window.addEventListener("message", function (event) {
    for (var i = 0; i < byWindow.length; i++) {
      if (byWindow[i][0] === event.source) { byWindow[i][1]._receive(event); return; }
    }
  });

  function Element(group, type, options) {
    this._group = group;
    this._type = type;
    this._options = isObject(options) ? Object.assign({}, options) : {};
    this._id = randomId(12);
    this._handlers = {};
    this._pending = {};
    this._mounted = false;
    this._destroyed = false;
    this._frame = null;
    this._container = null;
    this._ready = null;
    this._state = { empty: true, complete: false, error: null };
  }

  Element.prototype._classes = function () {
    var c = isObject(this._options.classes) ? this._options.classes : {};
    return {
      base: c.base || "StripeElement", complete: c.complete || "StripeElement--complete",
      empty: c.empty || "StripeElement--empty", focus: c.focus || "StripeElement--focus",
      invalid: c.invalid || "StripeElement--invalid", webkitAutofill: c.webkitAutofill || "StripeElement--webkit-autofill"
    };
  };

  Element.prototype._setClass = function (name, on) {
    if (!this._container) { return; }
    String(this._classes()[name]).split(/\s+/).filter(Boolean).forEach(function (cls) {
      this._container.classList.toggle(cls, !!on);
    }, this);
  };

  Element.prototype._frameOptions = function () {
    var o = omit(this._options, ["classes"]);
    var appearance = this._group._options.appearance;
    if (appearance && !o.appearance) { o.appearance = appearance; }
    return o;
  };

  Element.prototype.mount = function (target) {
    if (this._destroyed) { throw IntegrationError("This Element has already been destroyed. Please create a new one."); }
    if (this._mounted) {
      throw IntegrationError("This Element is already mounted. Use `unmount()` to unmount the Element before re-mounting.");
    }
    var node = target;
    if (typeof target === "string") {
      node = document.querySelector(target);
      if (!node) {
        throw IntegrationError("The selector you specified (" + target + ") applies to no DOM elements that are " +
          "currently on the page. Make sure the element exists on the page before calling mount().");
      }
    }
    if (!node || node.nodeType !== 1) {
      throw IntegrationError("Invalid DOM element. Make sure to call mount() with a valid DOM element or selector.");
    }
    if (node.querySelector(".__PrivateStripeElement")) {
      throw IntegrationError("This container already has an Element mounted in it. Mount each Element in a container of its own.");
    }
    var self = this;
    var cfg = { v: 1, id: this._id, group: this._group._id, origin: location.origin, key: this._group._stripe._key,
                apiVersion: this._group._stripe._apiVersion || undefined, options: this._frameOptions() };
    var wrapper = document.createElement("div");
    wrapper.className = "__PrivateStripeElement";
    Object.assign(wrapper.style, { margin: "0", padding: "0", border: "none", display: "block", background: "transparent",
                                   position: "relative", opacity: "1" });
    var frame = document.createElement("iframe");
    frame.name = "__privateStripeFrame" + this._id.slice(0, 8);
    frame.title = this._type === "payment" ? "Secure payment input frame" : "Secure card payment input frame";
    frame.setAttribute("frameborder", "0");
    frame.setAttribute("allowtransparency", "true");
    frame.setAttribute("scrolling", "no");
    frame.setAttribute("role", "presentation");
    frame.setAttribute("data-paykeep-element", this._type);
    Object.assign(frame.style, { border: "none", margin: "0", padding: "0", width: "1px", minWidth: "100%",
                                 overflow: "hidden", display: "block", userSelect: "none",
                                 height: (HEIGHTS[this._type] || 19.2) + "px", colorScheme: "normal" });
    frame.src = this._group._stripe._base + "/elements/" + this._type + "#" + encodeURIComponent(JSON.stringify(cfg));
    wrapper.appendChild(frame);
    node.appendChild(wrapper);
    this._container = node;
    this._wrapper = wrapper;
    this._frame = frame;
    this._mounted = true;
    this._ready = new Promise(function (resolve) { self._resolveReady = resolve; });
    byWindow.push([frame.contentWindow, this]);
    this._setClass("base", true);
    this._setClass("empty", true);
  };

  Element.prototype._receive = function (event) {
    if (event.origin !== this._group._stripe._origin) { return; }  // only paykeep's own frame
    var m = event.data;
    if (!isObject(m) || m.source !== PROTOCOL || m.element !== this._id) { return; }
    switch (m.type) {
      case "ready":
        if (this._resolveReady) { this._resolveReady(); this._resolveReady = null; this._emit("ready", { elementType: this._type }); }
        break;
      case "change":
        var p = isObject(m.payload) ? m.payload : {};
        var payload = { elementType: this._type, empty: !!p.empty, complete: !!p.complete };
        if (typeof p.brand === "string" && /^[a-z]{1,16}$/.test(p.brand)) { payload.brand = p.brand; }
        if (this._type === "payment") { payload.collapsed = false; payload.value = { type: "card" }; }
        if (isObject(p.error)) {
          payload.error = { type: "validation_error", code: String(p.error.code || ""), message: String(p.error.message || "") };
        }
        this._state = { empty: payload.empty, complete: payload.complete, error: payload.error || null };
        this._setClass("empty", payload.empty);
        this._setClass("complete", payload.complete);
        this._setClass("invalid", !!payload.error);
        this._emit("change", payload);
        break;
      case "focus": this._setClass("focus", true); this._emit("focus", { elementType: this._type }); break;
      case "blur": this._setClass("focus", false); this._emit("blur", { elementType: this._type }); break;
      case "escape": this._emit("escape", { elementType: this._type }); break;
      case "resize":
        if (typeof m.height === "number" && m.height > 0 && m.height < 2000 && this._frame) { this._frame.style.height = m.height + "px"; }
        break;
      case "reply":
        var done = this._pending[m.request];
        if (done) { delete this._pending[m.request]; done(m.result); }
        break;
      default: break;
    }
  };

  Element.prototype._command = function (command, extra, timeout) {
    var self = this;
    if (!this._mounted) {
      return Promise.reject(IntegrationError("We could not retrieve data from the specified Element. Please make sure " +
        "the Element you are attempting to use is still mounted."));
    }
    return this._ready.then(function () {
      return new Promise(function (resolve) {
        var request = randomId(8);
        var timer = setTimeout(function () {
          delete self._pending[request];
          resolve({ error: { type: "api_connection_error", message: "The card Element did not answer." } });
        }, timeout || 10000);
        self._pending[request] = function (result) { clearTimeout(timer); resolve(isObject(result) ? result : {}); };
        var message = Object.assign({ source: PROTOCOL, element: self._id, type: "command", command: command, request: request }, extra || {});
        self._frame.contentWindow.postMessage(message, self._group._stripe._origin);
      });
    });
  };

  Element.prototype._emit = function (name, payload) {
    (this._handlers[name] || []).slice().forEach(function (handler) {
      try { handler(payload); } catch (e) { setTimeout(function () { throw e; }, 0); }
    });
  };

  Element.prototype.on = function (name, handler) {
    if (typeof name !== "string" || !name) { throw IntegrationError("on(event, handler): name an event, such as " + EVENTS.join(", ") + "."); }
    if (typeof handler !== "function") { throw IntegrationError("on(" + name + ", handler): handler must be a function."); }
    (this._handlers[name] = this._handlers[name] || []).push(handler);
    return this;
  };
  Element.prototype.addListener = Element.prototype.on;
  Element.prototype.once = function (name, handler) {
    var self = this;
    var wrapped = function (e) { self.off(name, wrapped); handler(e); };
    return this.on(name, wrapped);
  };
  Element.prototype.off = function (name, handler) {
    if (!this._handlers[name]) { return this; }
    this._handlers[name] = handler ? this._handlers[name].filter(function (h) { return h !== handler; }) : [];
    return this;
  };
  Element.prototype.removeListener = Element.prototype.off;

  Element.prototype.update = function (options) {
    if (!isObject(options)) { throw IntegrationError("update() takes an options object."); }
    var hadClasses = this._classes();
    Object.assign(this._options, options);
    if (options.classes && this._container) {
      Object.keys(hadClasses).forEach(function (k) {
        String(hadClasses[k]).split(/\s+/).filter(Boolean).forEach(function (c) { this._container.classList.remove(c); }, this);
      }, this);
      this._setClass("base", true);
      this._setClass("empty", this._state.empty);
      this._setClass("complete", this._state.complete);
      this._setClass("invalid", !!this._state.error);
    }
    if (this._mounted) { this._command("update", { options: this._frameOptions() }); }
  };
  Element.prototype.clear = function () { if (this._mounted) { this._command("clear"); } };
  Element.prototype.focus = function () {
    if (!this._mounted) { return; }
    this._frame.focus();
    this._command("focus");
  };
  Element.prototype.blur = function () { if (this._mounted) { this._command("blur"); } };
  Element.prototype.unmount = function () {
    if (!this._mounted) { return; }
    var self = this;
    byWindow = byWindow.filter(function (entry) { return entry[1] !== self; });
    if (this._wrapper && this._wrapper.parentNode) { this._wrapper.parentNode.removeChild(this._wrapper); }
    ["base", "complete", "empty", "focus", "invalid", "webkitAutofill"].forEach(function (k) { self._setClass(k, false); });
    Object.keys(this._pending).forEach(function (k) { self._pending[k]({ error: { type: "validation_error", message: "The Element was unmounted." } }); });
    this._pending = {};
    this._mounted = false;
    this._frame = null;
    this._wrapper = null;
    this._container = null;
    this._state = { empty: true, complete: false, error: null };
  };
  Element.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    this._group._forget(this);
  };

  /** The Element whose frame tokenises for `element` (split Elements: the card number's), and the others it needs. */
  Element.prototype._tokenizer = function () {
    if (SPLIT.indexOf(this._type) < 0) { return { element: this, needs: [] }; }
    var group = this._group, number = group._elements.cardNumber;
    if (!number || !number._mounted) {
      return { error: IntegrationError("A cardNumber Element must be mounted to use split card Elements.") };
    }
    var needs = ["cardExpiry", "cardCvc"].filter(function (t) { return group._elements[t] && group._elements[t]._mounted; });
    if (needs.length < 2) {
      return { result: { error: { type: "validation_error", code: needs.indexOf("cardExpiry") < 0 ? "incomplete_expiry" : "incomplete_cvc",
        message: needs.indexOf("cardExpiry") < 0 ? "Your card's expiration date is incomplete." : "Your card's security code is incomplete." } } };
    }
    return { element: number, needs: needs };
  };

  /** {paymentMethod} | {error}: the frame creates the PaymentMethod with paykeep; this page gets the object. */
  function tokenize(element, params) {
    if (!(element instanceof Element)) {
      return Promise.reject(IntegrationError("Invalid value for card: pass a card, cardNumber or payment Element created by elements.create()."));
    }
    if (element._destroyed || !element._mounted) {
      return Promise.reject(IntegrationError("We could not retrieve data from the specified Element. Please make sure " +
        "the Element you are attempting to use is still mounted."));
    }
    var t = element._tokenizer();
    if (t.error) { return Promise.reject(t.error); }
    if (t.result) { return Promise.resolve(t.result); }
    var safe = {};
    if (isObject(params.billing_details)) { safe.billing_details = params.billing_details; }
    if (isObject(params.metadata)) { safe.metadata = params.metadata; }
    if (typeof params.allow_redisplay === "string") { safe.allow_redisplay = params.allow_redisplay; }
    return t.element._command("tokenize", { params: safe, needs: t.needs }, 30000);
  }

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = isObject(options) ? Object.assign({}, options) : {};
    this._id = randomId(16);
    this._elements = {};
  }

  Elements.prototype.create = function (type, options) {
    if (TYPES.indexOf(type) < 0) {
      throw IntegrationError("A valid Element name must be provided. Valid Elements are: " + TYPES.join(", ") +
        "; you passed: " + type + ".");
    }
    if (this._elements[type]) { throw IntegrationError("Can only create one Element of type " + type + "."); }
    var has = Object.keys(this._elements);
    var together = function (a, b) { return has.some(function (t) { return a.indexOf(t) >= 0; }) && b.indexOf(type) >= 0; };
    if (together(["card"], SPLIT) || together(SPLIT, ["card"])) {
      throw IntegrationError("Do not mix the card Element with the cardNumber, cardExpiry or cardCvc Elements in one elements() group.");
    }
    var element = new Element(this, type, options);
    this._elements[type] = element;
    return element;
  };
  Elements.prototype.getElement = function (type) {
    if (typeof type !== "string" && type) { type = type.__elementType || type.name; }  // react-stripe-js: components
    return this._elements[type] || null;
  };
  Elements.prototype._forget = function (element) {
    if (this._elements[element._type] === element) { delete this._elements[element._type]; }
  };
  Elements.prototype.update = function (options) {
    if (!isObject(options)) { return; }
    Object.assign(this._options, options);
    var self = this;
    if (options.appearance) {
      Object.keys(this._elements).forEach(function (t) {
        var el = self._elements[t];
        if (el._mounted) { el._command("update", { options: el._frameOptions() }); }
      });
    }
  };
  Elements.prototype.fetchUpdates = function () { return Promise.resolve({}); };
  Elements.prototype.on = function () { return this; };
  /** {} when every mounted Element is complete; else {error} (the frames show what is missing). */
  Elements.prototype.submit = function () {
    var self = this;
    var mounted = Object.keys(this._elements).map(function (t) { return self._elements[t]; }).filter(function (e) { return e._mounted; });
    if (!mounted.length) {
      return Promise.resolve({ error: { type: "validation_error", code: "incomplete", message: "No Element is mounted." } });
    }
    return Promise.all(mounted.map(function (e) { return e._command("validate"); })).then(function (answers) {
      for (var i = 0; i < answers.length; i++) {
        if (!answers[i].complete) { return { error: answers[i].error || { type: "validation_error", message: "Incomplete." } }; }
      }
      self._submitted = true;
      return {};
    });
  };
  Elements.prototype._cardElement = function () {
    return this._elements.payment || this._elements.card || this._elements.cardNumber || null;
  };

  // -- the client ---------------------------------------------------------------------------------------------------
  function PaykeepClient(key, options) {
    options = isObject(options) ? options : {};
    if (typeof key !== "string" || !key) {
      throw IntegrationError("Please call Stripe() with your publishable key. You used an empty string.");
    }
    if (/^(sk|rk)_/.test(key)) {
      throw IntegrationError("You should not use your secret key with paykeep.js (Stripe.js). Please pass a publishable key instead.");
    }
    if (!/^pk_/.test(key)) { throw IntegrationError("Invalid API Key provided: " + key.slice(0, 8) + "…"); }
    var base = typeof options.paykeepUrl === "string" ? options.paykeepUrl.replace(/\/+$/, "") : (SCRIPT_BASE || location.origin);
    this._key = key;
    this._base = base;
    this._origin = originOf(base);
    this._apiVersion = typeof options.apiVersion === "string" ? options.apiVersion : null;
    this._locale = options.locale || "auto";
  }

  var P = PaykeepClient.prototype;

  P._request = function (method, path, params) {
    var body = Object.assign({}, params || {}, { key: this._key });
    if (this._apiVersion) { body._stripe_version = this._apiVersion; }
    var encoded = encode(body, "", []).join("&");
    var init = { method: method, credentials: "omit", cache: "no-store", mode: "cors" };
    var url = this._base + path;
    if (method === "GET") {
      url += "?" + encoded;
    } else {
      init.headers = { "Content-Type": "application/x-www-form-urlencoded" };
      init.body = encoded;
    }
    return fetch(url, init).then(function (resp) {
      return resp.json().then(function (json) {
        if (!resp.ok || (isObject(json) && isObject(json.error))) {
          return { error: (isObject(json) && json.error) || { type: "api_error", message: "paykeep answered HTTP " + resp.status } };
        }
        return { body: json };
      }, function () { return { error: { type: "api_error", message: "paykeep answered HTTP " + resp.status } }; });
    }, function () { return { error: connectionError() }; });
  };

  P._retrieve = function (ref) {
    var meta = INTENTS[ref.kind];
    return this._request("GET", "/v1/" + meta.path + "/" + encodeURIComponent(ref.id), { client_secret: ref.secret })
      .then(function (res) {
        if (res.error) { return { error: res.error }; }
        var out = {};
        out[meta.result] = res.body;
        return out;
      });
  };

  P.retrieveSetupIntent = function (clientSecret) {
    var self = this;
    return Promise.resolve().then(function () { return self._retrieve(parseSecret("retrieveSetupIntent", clientSecret, "setup_intent")); });
  };
  P.retrievePaymentIntent = function (clientSecret) {
    var self = this;
    return Promise.resolve().then(function () { return self._retrieve(parseSecret("retrievePaymentIntent", clientSecret, "payment_intent")); });
  };

  /** The intent's result after confirming or acting: {setupIntent|paymentIntent}, or {error} when it went back to
      requires_payment_method (a failed authentication), with the intent attached. */
  function settled(kind, intent, afterAction) {
    var meta = INTENTS[kind], out = {};
    if (afterAction && intent.status === "requires_payment_method") {
      var last = isObject(intent[meta.error]) ? Object.assign({}, intent[meta.error]) : {};
      var error = Object.assign({ type: "invalid_request_error", code: meta.failure, message: meta.message }, last);
      error[kind] = intent;
      return { error: error };
    }
    if (afterAction && intent.status === "requires_action") {
      var pending = { type: "invalid_request_error", code: meta.failure, message: meta.message };
      pending[kind] = intent;
      return { error: pending };
    }
    out[meta.result] = intent;
    return out;
  }

  /** Handle the intent's next action in the modal, then read the intent again. */
  P._act = function (kind, intent, secret) {
    if (!isObject(intent) || intent.status !== "requires_action") { return Promise.resolve(settled(kind, intent, false)); }
    var url = actionUrl(intent.next_action, true);
    if (!url) {
      var err = { type: "invalid_request_error", code: "unsupported_next_action",
                  message: "paykeep.js cannot handle this intent's next action (" + (intent.next_action && intent.next_action.type) + ")." };
      err[kind] = intent;
      return Promise.resolve({ error: err });
    }
    var self = this;
    return openModal(url, intent.id).then(function () {
      return self._retrieve({ kind: kind, id: intent.id, secret: secret || intent.client_secret });
    }).then(function (res) {
      if (res.error) { return res; }
      return settled(kind, res[INTENTS[kind].result], true);
    });
  };

  P._confirm = function (ref, params) {
    var meta = INTENTS[ref.kind];
    var body = Object.assign({}, params, { client_secret: ref.secret });
    return this._request("POST", "/v1/" + meta.path + "/" + encodeURIComponent(ref.id) + "/confirm", body);
  };

  /** `payment_method` of a confirm's data: an id, or {card: Element, billing_details, metadata} tokenised in its
      frame. Resolves {id} | {error} | {} (none given). */
  function paymentMethodOf(value) {
    if (value === undefined || value === null) { return Promise.resolve({}); }
    if (typeof value === "string") { return Promise.resolve({ id: value }); }
    if (isObject(value) && value.card instanceof Element) {
      return tokenize(value.card, value).then(function (r) { return r.error ? r : { id: r.paymentMethod.id, paymentMethod: r.paymentMethod }; });
    }
    if (isObject(value) && isObject(value.card) && typeof value.card.token === "string") {
      return Promise.resolve({ data: { type: "card", card: { token: value.card.token }, billing_details: value.billing_details } });
    }
    return Promise.reject(IntegrationError("Invalid value for payment_method: pass a PaymentMethod id or {card: Element, billing_details}."));
  }

  P._confirmCard = function (method, kind, clientSecret, data, options) {
    var self = this;
    return Promise.resolve().then(function () {
      var ref = parseSecret(method, clientSecret, kind);
      data = isObject(data) ? data : {};
      options = isObject(options) ? options : {};
      var handleActions = options.handleActions !== false;
      return paymentMethodOf(data.payment_method).then(function (pm) {
        if (pm.error) { return { error: pm.error }; }
        var params = omit(data, ["payment_method", "handleActions"]);
        if (pm.id) { params.payment_method = pm.id; }
        if (pm.data) { params.payment_method_data = pm.data; }
        // the action as paykeep.js handles it (the modal), unless the page handles it itself with a return_url
        if (handleActions || typeof params.return_url !== "string") { params.use_stripe_sdk = "true"; }
        return self._confirm(ref, params).then(function (res) {
          if (res.error) { return { error: res.error }; }
          if (!handleActions) { return settled(kind, res.body, false); }
          return self._act(kind, res.body, ref.secret);
        });
      });
    });
  };

  P.confirmCardSetup = function (clientSecret, data, options) {
    return this._confirmCard("confirmCardSetup", "setup_intent", clientSecret, data, options);
  };
  P.confirmCardPayment = function (clientSecret, data, options) {
    return this._confirmCard("confirmCardPayment", "payment_intent", clientSecret, data, options);
  };

  /** The legacy forms: handleCardSetup(secret, element?, data?), handleCardPayment(secret, element?, data?). */
  function legacy(method, kind) {
    return function (clientSecret, elementOrData, data) {
      if (elementOrData instanceof Element) {
        data = isObject(data) ? data : {};
        var pmData = isObject(data.payment_method_data) ? data.payment_method_data : {};
        var rest = omit(data, ["payment_method_data"]);
        rest.payment_method = Object.assign({}, pmData, { card: elementOrData });
        return this._confirmCard(method, kind, clientSecret, rest, {});
      }
      return this._confirmCard(method, kind, clientSecret, elementOrData, {});
    };
  }
  P.handleCardSetup = legacy("handleCardSetup", "setup_intent");
  P.handleCardPayment = legacy("handleCardPayment", "payment_intent");

  P._handleAction = function (method, clientSecret, expected) {
    var self = this;
    return Promise.resolve().then(function () {
      var ref = parseSecret(method, clientSecret, expected);
      return self._retrieve(ref).then(function (res) {
        if (res.error) { return res; }
        return self._act(ref.kind, res[INTENTS[ref.kind].result], ref.secret);
      });
    });
  };
  P.handleCardAction = function (clientSecret) { return this._handleAction("handleCardAction", clientSecret, "payment_intent"); };
  P.handleNextAction = function (opts) {
    return this._handleAction("handleNextAction", isObject(opts) ? opts.clientSecret : opts, null);
  };

  P.createPaymentMethod = function (a, b, c) {
    var self = this;
    return Promise.resolve().then(function () {
      var element, params;
      if (typeof a === "string") {  // legacy: createPaymentMethod('card', element, data)
        if (a !== "card") { throw IntegrationError("Only card PaymentMethods can be created with paykeep.js."); }
        element = b;
        params = isObject(c) ? c : {};
      } else if (isObject(a) && a.elements instanceof Elements) {  // {elements, params}
        element = a.elements._cardElement();
        params = isObject(a.params) ? a.params : {};
      } else if (isObject(a)) {
        if (a.type && a.type !== "card") { throw IntegrationError("Only card PaymentMethods can be created with paykeep.js."); }
        element = a.card || a.element;
        params = a;
      } else {
        throw IntegrationError("createPaymentMethod: pass {type: 'card', card: element, billing_details}.");
      }
      return tokenize(element, params).then(function (r) { return r.error ? { error: r.error } : { paymentMethod: r.paymentMethod }; });
    });
  };

  function returnUrlWith(url, kind, intent) {
    var status = intent.status === "succeeded" || intent.status === "processing" || intent.status === "requires_capture"
      ? "succeeded" : (intent.status === "requires_payment_method" ? "failed" : "pending");
    var q = kind + "=" + encodeURIComponent(intent.id) + "&" + kind + "_client_secret=" + encodeURIComponent(intent.client_secret) +
      "&redirect_status=" + status;
    var hash = "";
    var at = url.indexOf("#");
    if (at >= 0) { hash = url.slice(at); url = url.slice(0, at); }
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + q + hash;  // the three parameters Stripe.js adds
  }

  /** confirmSetup / confirmPayment: {elements, clientSecret?, confirmParams: {return_url, payment_method_data,
      payment_method}, redirect: 'always' (default) | 'if_required'}. */
  P._confirmWithElements = function (method, kind, opts) {
    var self = this;
    return Promise.resolve().then(function () {
      if (!isObject(opts)) { throw IntegrationError(method + "(): pass {elements, confirmParams}."); }
      var elements = opts.elements;
      var secret = opts.clientSecret || (elements instanceof Elements ? elements._options.clientSecret : null);
      if (!secret) { throw IntegrationError(method + "(): pass clientSecret, or create elements({clientSecret})."); }
      var ref = parseSecret(method, secret, kind);
      var confirmParams = isObject(opts.confirmParams) ? opts.confirmParams : {};
      var redirect = opts.redirect === "if_required" ? "if_required" : "always";
      if (redirect === "always" && typeof confirmParams.return_url !== "string") {
        throw IntegrationError(method + "(): the `confirmParams.return_url` argument is required unless passing `redirect: 'if_required'`.");
      }
      var pmStep;
      if (typeof confirmParams.payment_method === "string") {
        pmStep = Promise.resolve({ id: confirmParams.payment_method });
      } else {
        if (!(elements instanceof Elements) || !elements._cardElement()) {
          throw IntegrationError(method + "(): pass the elements() group its Payment Element was created in.");
        }
        var pmData = isObject(confirmParams.payment_method_data) ? confirmParams.payment_method_data : {};
        pmStep = tokenize(elements._cardElement(), pmData).then(function (r) { return r.error ? r : { id: r.paymentMethod.id }; });
      }
      return pmStep.then(function (pm) {
        if (pm.error) { return { error: pm.error }; }
        var params = omit(confirmParams, ["payment_method_data", "payment_method"]);
        params.payment_method = pm.id;
        if (redirect === "if_required") { params.use_stripe_sdk = "true"; }
        return self._confirm(ref, params).then(function (res) {
          if (res.error) { return { error: res.error }; }
          var intent = res.body;
          if (redirect === "if_required") { return self._act(kind, intent, ref.secret); }
          var url = intent.status === "requires_action" ? actionUrl(intent.next_action, false) : null;
          if (intent.status === "requires_action" && !url) { return self._act(kind, intent, ref.secret); }
          location.assign(url || returnUrlWith(confirmParams.return_url, kind, intent));
          return new Promise(function () { /* the page is leaving */ });
        });
      });
    });
  };
  P.confirmSetup = function (opts) { return this._confirmWithElements("confirmSetup", "setup_intent", opts); };
  P.confirmPayment = function (opts) { return this._confirmWithElements("confirmPayment", "payment_intent", opts); };

  P.elements = function (options) { return new Elements(this, options); };

  // What Stripe.js has and paykeep does not: answered plainly, never silently.
  function unsupported(name) {
    return function () {
      return Promise.resolve({ error: { type: "invalid_request_error", code: "unsupported",
        message: name + " is not supported by paykeep.js: use createPaymentMethod and PaymentMethods." } });
    };
  }
  P.createToken = unsupported("createToken");
  P.createSource = unsupported("createSource");
  P.retrieveSource = unsupported("retrieveSource");
  P.paymentRequest = function () {
    return { canMakePayment: function () { return Promise.resolve(null); }, on: function () { return this; },
             off: function () { return this; }, show: function () { throw IntegrationError("paymentRequest is not supported by paykeep.js."); },
             update: function () {} };
  };
  P._registerWrapper = function () {};
  P.registerAppInfo = function () {};

  function Stripe(key, options) { return new PaykeepClient(key, options); }
  Stripe.version = 3;
  Stripe.paykeep = VERSION;
  Stripe.IntegrationError = IntegrationError;
  window.Stripe = Stripe;
  window.WooshPay = Stripe;
})();
