/* paykeep.js Element frame (docs/dropin.md): the card inputs of one Element, served by paykeep and framed by the
   merchant's page. Reads its settings from the URL's fragment (never sent to a server); talks to the framing
   page with postMessage, checked both ways by origin and window, and never sends it a digit of the card; sends
   the card to paykeep itself (POST /v1/payment_methods with the publishable key) and hands the page the pm_ id.
   The frames of one `elements()` group (card number, expiry, CVC in three frames) share their values with each
   other only, over a BroadcastChannel of this origin named after the group. Plain JavaScript, no build step. */
(function () {
  "use strict";

  var PROTOCOL = "paykeep";
  var cfg;
  try {
    cfg = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  } catch (_e) {
    cfg = null;
  }
  var root = document.getElementById("pk-root");
  if (!cfg || typeof cfg.origin !== "string" || typeof cfg.id !== "string" || !root) { return; }
  // The framing page must be the origin the settings name (Chromium tells us): else, stay inert.
  var ancestors = location.ancestorOrigins;
  if (window.parent === window || (ancestors && ancestors.length && ancestors[0] !== cfg.origin)) { return; }

  var BASE = location.href.split("/elements/")[0];
  var kind = root.getAttribute("data-kind");
  var options = cfg.options || {};
  var $ = function (id) { return document.getElementById(id); };
  var fields = { number: $("pk-number"), expiry: $("pk-expiry"), cvc: $("pk-cvc"), postal: $("pk-postal") };
  var brandEl = $("pk-brand"), errorEl = $("pk-error");
  var touched = {};
  var lastSent = "";

  var MESSAGES = {
    incomplete_number: "Your card number is incomplete.",
    invalid_number: "Your card number is invalid.",
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration date is invalid.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    incomplete_cvc: "Your card's security code is incomplete.",
    incomplete_zip: "Your postal code is incomplete."
  };

  // -- card rules ------------------------------------------------------------------------------------------
  var RULES = window.PaykeepCardRules;  // /static/card_rules.js, loaded first
  var LENGTHS = RULES.LENGTHS, digitsOf = RULES.digitsOf, brandOf = RULES.brandOf, luhn = RULES.luhn;
  var groups = RULES.groups;

  function maxLength(brand) { var l = LENGTHS[brand]; return l[l.length - 1]; }

  function numberState() {
    var d = digitsOf(fields.number.value), brand = brandOf(d);
    if (!d) { return { empty: true, complete: false, error: "incomplete_number", brand: brand }; }
    var lengths = LENGTHS[brand];
    if (lengths.indexOf(d.length) >= 0 && luhn(d)) { return { empty: false, complete: true, brand: brand }; }
    var wrong = d.length >= maxLength(brand) || (d.length >= 16 && brand !== "unknown" && !luhn(d));
    return { empty: false, complete: false, brand: brand, error: wrong ? "invalid_number" : "incomplete_number",
             shown: wrong };
  }

  /** "MM / YY" from what was typed: "1230", "12/30", "4/30", "04 / 2030", "4" (-> "04 / "). */
  function parseExpiry(text) {
    var t = (text || "").trim(), month, year;
    if (t.indexOf("/") >= 0) {
      var parts = t.split("/");
      month = digitsOf(parts[0]).slice(0, 2);
      year = digitsOf(parts.slice(1).join("")).slice(0, 4);
      if (month.length === 1 && (year.length || month !== "1")) { month = "0" + month; }
    } else {
      var d = digitsOf(t);
      if (d.length && d.charAt(0) > "1") { d = "0" + d; }
      month = d.slice(0, 2);
      year = d.slice(2, 6);
    }
    return { month: month, year: year };
  }

  function formatExpiry(parsed, deleting) {
    if (!parsed.month) { return ""; }
    if (parsed.month.length < 2) { return parsed.month; }
    if (!parsed.year) { return deleting ? parsed.month : parsed.month + " / "; }
    return parsed.month + " / " + parsed.year;
  }

  function fullYear(y) { return y.length === 2 ? 2000 + parseInt(y, 10) : parseInt(y, 10); }

  function expiryState() {
    var p = parseExpiry(fields.expiry.value);
    if (!p.month && !p.year) { return { empty: true, complete: false, error: "incomplete_expiry" }; }
    var m = parseInt(p.month, 10);
    if (p.month.length === 2 && !(m >= 1 && m <= 12)) {
      return { empty: false, complete: false, error: "invalid_expiry_month", shown: true };
    }
    if (p.month.length < 2 || (p.year.length !== 2 && p.year.length !== 4)) {
      return { empty: false, complete: false, error: "incomplete_expiry" };
    }
    var now = new Date(), y = fullYear(p.year), thisYear = now.getFullYear();
    if (y < thisYear) { return { empty: false, complete: false, error: "invalid_expiry_year_past", shown: true }; }
    if (y === thisYear && m < now.getMonth() + 1) {
      return { empty: false, complete: false, error: "invalid_expiry_month_past", shown: true };
    }
    if (y > thisYear + 50) { return { empty: false, complete: false, error: "invalid_expiry_year", shown: true }; }
    return { empty: false, complete: true, month: m, year: y };
  }

  function cvcState(brand) {
    var d = digitsOf(fields.cvc.value);
    if (!d) { return { empty: true, complete: false, error: "incomplete_cvc" }; }
    var ok = brand === "amex" ? d.length === 4 : (brand === "unknown" ? d.length >= 3 : d.length === 3);
    return ok ? { empty: false, complete: true } : { empty: false, complete: false, error: "incomplete_cvc" };
  }

  function postalShown() { return !!fields.postal && !fields.postal.classList.contains("pk-hidden"); }

  function postalState() {
    var v = (fields.postal.value || "").trim();
    if (!v) { return { empty: true, complete: false, error: "incomplete_zip" }; }
    return /^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/.test(v) ? { empty: false, complete: true }
      : { empty: false, complete: false, error: "incomplete_zip" };
  }

  // -- the state of this frame (what the page may know: no digit) --------------------------------------------
  function currentBrand() {
    if (fields.number) { return brandOf(digitsOf(fields.number.value)); }
    return sharedBrand || "unknown";
  }

  function states() {
    var out = [];
    var brand = currentBrand();
    if (fields.number) { out.push(["number", numberState()]); }
    if (fields.expiry) { out.push(["expiry", expiryState()]); }
    if (fields.cvc) { out.push(["cvc", cvcState(brand)]); }
    if (postalShown()) { out.push(["postal", postalState()]); }
    return out;
  }

  /** {empty, complete, brand, error?}: the error shown is the first field's that is either plainly wrong, or
      incomplete and left (blurred) or asked for (`reveal`, on submit). */
  function summary(reveal) {
    var list = states(), empty = true, complete = true, error = null;
    list.forEach(function (entry) {
      var name = entry[0], s = entry[1];
      if (!s.empty) { empty = false; }
      if (!s.complete) { complete = false; }
      var visible = !s.complete && (s.shown || reveal || (touched[name] && !s.empty));
      if (fields[name]) { fields[name].classList.toggle("is-invalid", !!visible); }
      if (visible && !error) { error = s.error; }
    });
    return { empty: empty, complete: complete, error: error };
  }

  function errorObject(code) { return { type: "validation_error", code: code, message: MESSAGES[code] || code }; }

  function emitChange(force, reveal) {
    var s = summary(reveal);
    root.classList.toggle("is-empty", s.empty);
    root.classList.toggle("is-complete", s.complete);
    root.classList.toggle("is-invalid", !!s.error);
    var payload = { elementType: kind, empty: s.empty, complete: s.complete };
    if (kind === "card" || kind === "cardNumber") { payload.brand = currentBrand(); }
    if (kind === "payment") { payload.collapsed = false; payload.value = { type: "card" }; }
    if (s.error) { payload.error = errorObject(s.error); }
    if (errorEl) { errorEl.textContent = s.error ? MESSAGES[s.error] : ""; resize(); }
    var key = JSON.stringify(payload);
    if (force || key !== lastSent) {
      lastSent = key;
      send("change", { payload: payload });
    }
    return s;
  }

  // -- talking to the page -------------------------------------------------------------------------------------
  function send(type, extra) {
    var message = { source: PROTOCOL, element: cfg.id, type: type };
    Object.keys(extra || {}).forEach(function (k) { message[k] = extra[k]; });
    window.parent.postMessage(message, cfg.origin);
  }

  var lastHeight = 0;
  function resize() {
    var h = Math.ceil(root.getBoundingClientRect().height);
    if (h && h !== lastHeight) { lastHeight = h; send("resize", { height: h }); }
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== cfg.origin) { return; } // only the page that framed us
    var data = event.data;
    if (!data || data.source !== PROTOCOL || data.element !== cfg.id || data.type !== "command") { return; }
    var reply = function (result) { send("reply", { request: data.request, result: result }); };
    switch (data.command) {
      case "update": applyOptions(data.options || {}); emitChange(false); reply({}); break;
      case "clear": Object.keys(fields).forEach(function (k) { if (fields[k]) { fields[k].value = ""; } });
        touched = {}; format(); emitChange(false); reply({}); break;
      case "focus": var first = firstField(); if (first) { first.focus(); } reply({}); break;
      case "blur": if (document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
        reply({}); break;
      case "validate": var s = emitChange(false, true);
        reply(s.complete ? { complete: true } : { complete: false, error: errorObject(s.error || "incomplete_number") });
        break;
      case "tokenize": tokenize(data.params || {}, data.needs || []).then(reply); break;
      default: reply({ error: { type: "invalid_request_error", message: "Unknown command." } });
    }
  });

  function firstField() { return fields.number || fields.expiry || fields.cvc || fields.postal; }

  // -- the group's frames (split card elements) share values over a channel of this origin -----------------------
  var channel = null, sharedBrand = null, pending = {};
  if (typeof BroadcastChannel === "function" && typeof cfg.group === "string" && /^[A-Za-z0-9]{16,64}$/.test(cfg.group)) {
    channel = new BroadcastChannel("paykeep-elements-" + cfg.group);
    channel.onmessage = function (event) {
      var m = event.data || {};
      if (m.type === "collect" && m.from !== cfg.id) {
        var value = { type: "value", request: m.request, kind: kind };
        if (fields.expiry) { var e = expiryState(); value.expiry = e.complete ? { month: e.month, year: e.year } : null; }
        if (fields.cvc) { value.cvc = cvcState(sharedBrand || "unknown").complete ? digitsOf(fields.cvc.value) : null; }
        channel.postMessage(value);
      } else if (m.type === "value" && pending[m.request]) {
        pending[m.request](m);
      } else if (m.type === "brand" && !fields.number) {
        sharedBrand = m.brand;
        if (fields.cvc) { fields.cvc.maxLength = m.brand === "amex" ? 4 : 3; emitChange(false); }
      }
    };
  }

  function collect(needs) {
    if (!needs.length) { return Promise.resolve({}); }
    if (!channel) { return Promise.resolve({ missing: needs[0] }); }
    var request = randomId(), got = {};
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { delete pending[request]; resolve({ missing: needs.filter(function (n) { return !got[n]; })[0] }); }, 3000);
      pending[request] = function (m) {
        if (needs.indexOf(m.kind) < 0) { return; }
        got[m.kind] = m;
        if (needs.every(function (n) { return got[n]; })) {
          clearTimeout(timer);
          delete pending[request];
          resolve({ values: got });
        }
      };
      channel.postMessage({ type: "collect", request: request, from: cfg.id });
    });
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // -- tokenising: straight to paykeep, the page gets the PaymentMethod (no number, no CVC) ------------------------
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

  function tokenize(params, needs) {
    var s = emitChange(false, true);
    if (!s.complete) { return Promise.resolve({ error: errorObject(s.error || "incomplete_number") }); }
    if (!fields.number) {
      return Promise.resolve({ error: { type: "invalid_request_error", message: "Tokenize with the card number Element." } });
    }
    var wanted = needs.filter(function (n) { return n === "cardExpiry" || n === "cardCvc"; });
    return collect(wanted).then(function (found) {
      if (found.missing) {
        return { error: errorObject(found.missing === "cardCvc" ? "incomplete_cvc" : "incomplete_expiry") };
      }
      var values = found.values || {};
      var card = { number: digitsOf(fields.number.value) };
      var expiry = fields.expiry ? expiryState() : (values.cardExpiry && values.cardExpiry.expiry);
      var cvc = fields.cvc ? digitsOf(fields.cvc.value) : (values.cardCvc && values.cardCvc.cvc);
      if (!expiry) { return { error: errorObject("incomplete_expiry") }; }
      if (!cvc) { return { error: errorObject("incomplete_cvc") }; }
      card.exp_month = expiry.month;
      card.exp_year = expiry.year;
      card.cvc = cvc;
      var billing = params.billing_details && typeof params.billing_details === "object" ? params.billing_details : {};
      if (postalShown()) {
        var address = Object.assign({}, billing.address || {}, { postal_code: fields.postal.value.trim() });
        billing = Object.assign({}, billing, { address: address });
      }
      var body = { key: cfg.key, type: "card", card: card };
      if (Object.keys(billing).length) { body.billing_details = billing; }
      if (params.metadata) { body.metadata = params.metadata; }
      if (params.allow_redisplay) { body.allow_redisplay = params.allow_redisplay; }
      if (cfg.apiVersion) { body._stripe_version = cfg.apiVersion; }
      body.payment_user_agent = "paykeep.js";
      return fetch(BASE + "/v1/payment_methods", {
        method: "POST", credentials: "omit", cache: "no-store",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: encode(body, "", []).join("&")
      }).then(function (resp) {
        return resp.json().then(function (json) {
          if (!resp.ok || json.error) {
            return { error: json.error || { type: "api_error", message: "paykeep answered HTTP " + resp.status } };
          }
          return { paymentMethod: json };
        });
      }, function () {
        return { error: { type: "api_connection_error", message: "Could not reach paykeep to save the card." } };
      });
    });
  }

  // -- formatting as typed ---------------------------------------------------------------------------------------
  function formatNumber() {
    var input = fields.number, raw = input.value;
    var caret = input.selectionStart === null ? raw.length : input.selectionStart;
    var before = digitsOf(raw.slice(0, caret)).length;
    var d = digitsOf(raw), brand = brandOf(d);
    d = d.slice(0, maxLength(brand));
    var text = groups(d, brand);
    input.value = text;
    var pos = 0, seen = 0;
    while (pos < text.length && seen < before) { if (/\d/.test(text.charAt(pos))) { seen++; } pos++; }
    if (document.activeElement === input) { input.setSelectionRange(pos, pos); }
    if (brandEl) { brandEl.setAttribute("data-brand", brand); }
    if (fields.cvc) { fields.cvc.maxLength = brand === "amex" || brand === "unknown" ? 4 : 3; }
    if (channel && brand !== sharedBrand) { sharedBrand = brand; channel.postMessage({ type: "brand", brand: brand }); }
  }

  function format(deleting) {
    if (fields.number) { formatNumber(); }
    if (fields.expiry) { fields.expiry.value = formatExpiry(parseExpiry(fields.expiry.value), deleting); }
    if (fields.cvc) { fields.cvc.value = digitsOf(fields.cvc.value).slice(0, fields.cvc.maxLength > 0 ? fields.cvc.maxLength : 4); }
  }

  function nextField(from) {
    var order = ["number", "expiry", "cvc", "postal"].filter(function (n) {
      return fields[n] && !(n === "postal" && !postalShown());
    });
    var i = order.indexOf(from);
    return i >= 0 && i + 1 < order.length ? fields[order[i + 1]] : null;
  }

  Object.keys(fields).forEach(function (name) {
    var input = fields[name];
    if (!input) { return; }
    input.addEventListener("input", function (event) {
      var deleting = event.inputType && event.inputType.indexOf("delete") === 0;
      if (name === "expiry" && deleting && /\s\/\s?$/.test(input.value)) { input.value = input.value.replace(/\s\/\s?$/, ""); }
      format(deleting);
      var s = emitChange(false);
      var st = name === "number" ? numberState() : name === "expiry" ? expiryState()
        : name === "cvc" ? cvcState(currentBrand()) : null;
      var typed = digitsOf(input.value).length;
      // on to the next field once this one is surely done (a 13-digit Visa may still be a 16-digit one)
      var done = name === "number" ? typed >= Math.min(16, maxLength(st.brand)) : name !== "cvc" || typed >= input.maxLength;
      if (st && st.complete && !deleting && done) {
        var next = nextField(name);
        if (next) { next.focus(); }
      }
      return s;
    });
    input.addEventListener("blur", function () {
      touched[name] = true;
      emitChange(false);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { send("escape", {}); }
    });
  });

  var focused = false;
  document.addEventListener("focusin", function () {
    if (!focused) { focused = true; root.classList.add("is-focused"); send("focus", {}); }
  });
  document.addEventListener("focusout", function (event) {
    if (event.relatedTarget && root.contains(event.relatedTarget)) { return; }
    setTimeout(function () {
      if (!root.contains(document.activeElement)) { focused = false; root.classList.remove("is-focused"); send("blur", {}); }
    }, 0);
  });
  root.addEventListener("submit", function (event) { event.preventDefault(); });

  // -- options: style, placeholders, postal code, disabled ------------------------------------------------------
  var PROPS = ["color", "fontFamily", "fontSize", "fontSmoothing", "fontStyle", "fontVariant", "fontWeight",
               "letterSpacing", "lineHeight", "textAlign", "textDecoration", "textShadow", "textTransform",
               "backgroundColor", "caretColor", "padding", "iconColor", "webkitFontSmoothing", "MozOsxFontSmoothing"];
  var PSEUDO = [":hover", ":focus", "::placeholder", "::selection", ":-webkit-autofill", ":disabled"];
  var SELECTORS = { base: ".pk-input", complete: ".pk-root.is-complete .pk-input", empty: ".pk-root.is-empty .pk-input",
                    invalid: ".pk-input.is-invalid" };
  var sheet = null;
  var ownRules = 0;

  function cssName(prop) {
    if (prop === "webkitFontSmoothing" || prop === "fontSmoothing") { return "-webkit-font-smoothing"; }
    if (prop === "MozOsxFontSmoothing") { return "-moz-osx-font-smoothing"; }
    return prop.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); });
  }

  function safeValue(v) {
    if (typeof v === "number") { v = String(v); }
    return typeof v === "string" && v.length < 200 && !/[;{}<>\\]|url\(|expression|@import/i.test(v) ? v : null;
  }

  function declarations(block, forIcon) {
    var out = [];
    Object.keys(block || {}).forEach(function (prop) {
      if (PROPS.indexOf(prop) < 0) { return; }
      var v = safeValue(block[prop]);
      if (v === null) { return; }
      if (prop === "iconColor") { if (forIcon) { out.push("color: " + v); } return; }
      if (!forIcon) { out.push(cssName(prop) + ": " + v); }
    });
    return out.join("; ");
  }

  function applyStyle(style) {
    if (!sheet) {
      for (var i = 0; i < document.styleSheets.length; i++) {
        try { if (document.styleSheets[i].href && document.styleSheets[i].href.indexOf("/elements/frame.css") >= 0) { sheet = document.styleSheets[i]; } } catch (_e) { /* not ours */ }
      }
    }
    if (!sheet) { return; }
    while (ownRules > 0) { sheet.deleteRule(sheet.cssRules.length - 1); ownRules--; }
    var add = function (selector, body) {
      if (!body) { return; }
      try { sheet.insertRule(selector + " { " + body + " }", sheet.cssRules.length); ownRules++; } catch (_e) { /* skip */ }
    };
    Object.keys(SELECTORS).forEach(function (variant) {
      var block = style && style[variant];
      if (!block || typeof block !== "object") { return; }
      var selector = SELECTORS[variant];
      if (variant === "base") {
        add("body", declarations({ fontFamily: block.fontFamily, fontSize: block.fontSize, color: block.color }));
      }
      add(selector, declarations(block));
      add(variant === "base" ? ".pk-brand" : selector.replace(".pk-input", ".pk-brand").replace(".pk-brand.is-invalid", ".pk-root.is-invalid .pk-brand"),
          declarations(block, true));
      PSEUDO.forEach(function (pseudo) {
        if (block[pseudo] && typeof block[pseudo] === "object") { add(selector + pseudo, declarations(block[pseudo])); }
      });
    });
  }

  function applyAppearance(appearance) {
    var vars = (appearance && appearance.variables) || {};
    var map = { colorText: "--pk-color-text", colorPrimary: "--pk-color-primary", colorDanger: "--pk-color-danger",
                colorBackground: "--pk-color-background", fontFamily: "--pk-font", fontSizeBase: "--pk-font-size",
                borderRadius: "--pk-radius", colorTextPlaceholder: "--pk-color-placeholder" };
    Object.keys(map).forEach(function (k) {
      var v = safeValue(vars[k]);
      if (v !== null) { document.documentElement.style.setProperty(map[k], v); }
    });
  }

  function applyOptions(opts) {
    Object.keys(opts).forEach(function (k) { options[k] = opts[k]; });
    applyStyle(options.style || {});
    applyAppearance(options.appearance);
    if (fields.postal) {
      var hide = kind === "payment"
        ? (function () {
          var bd = options.fields && options.fields.billingDetails;
          return !!(bd === "never" || (bd && (bd.address === "never" || (bd.address && bd.address.postalCode === "never"))));
        })()
        : !!options.hidePostalCode;
      var field = kind === "payment" ? fields.postal.parentNode : fields.postal;
      field.classList.toggle("pk-hidden", hide);
      if (kind === "payment") { fields.postal.classList.toggle("pk-hidden", hide); }
      if (options.value && typeof options.value.postalCode === "string" && !fields.postal.value) {
        fields.postal.value = options.value.postalCode.slice(0, 10);
      }
    }
    if (brandEl) { brandEl.classList.toggle("pk-hidden", !!options.hideIcon); }
    if (typeof options.placeholder === "string") {
      var single = fields.number || fields.expiry || fields.cvc;
      if (kind !== "card" && kind !== "payment" && single) { single.placeholder = options.placeholder.slice(0, 60); }
    }
    Object.keys(fields).forEach(function (k) { if (fields[k]) { fields[k].disabled = !!options.disabled; } });
    resize();
  }

  applyOptions({});
  format();
  emitChange(true);
  send("ready", {});
  resize();
  if (typeof ResizeObserver === "function") { new ResizeObserver(resize).observe(root); }
})();
