// The merchant's own script, as a merchant writes it: it sees events and ids, never a card number. The browser
// tests call these helpers (and stripe.* directly) with page.evaluate.
(function () {
  "use strict";
  var stripe = window.Stripe(document.body.getAttribute("data-pk"));
  window.stripe = stripe;
  window.shopEvents = [];
  window.shopElements = null;

  window.mountElement = function (type, selector, options, groupOptions) {
    var elements = window.shopElements || (window.shopElements = stripe.elements(groupOptions || {}));
    var element = elements.create(type, options || {});
    ["change", "focus", "blur", "escape"].forEach(function (name) {
      element.on(name, function (event) {
        window.shopEvents.push({ on: type, name: name, event: event });
        if (name === "change") {
          document.getElementById("errors").textContent = event.error ? event.error.message : "";
        }
      });
    });
    return new Promise(function (resolve) {
      element.on("ready", function () { window.shopEvents.push({ on: type, name: "ready" }); resolve(true); });
      element.mount(selector);
    });
  };

  /** Start a call whose promise settles later (after a 3-D Secure modal, say); `shopResult()` awaits it. */
  window.startCall = function (fn) {
    window.shopPending = Promise.resolve().then(fn).then(function (result) {
      var plain = JSON.parse(JSON.stringify(result === undefined ? null : result));
      document.getElementById("result").textContent = plain && plain.error ? "error: " + plain.error.message
        : "done";
      return plain;
    }, function (e) { return { thrown: e.name + ": " + e.message }; });
    return true;
  };
  window.shopResult = function () { return window.shopPending; };
  console.log("shop ready");
})();
