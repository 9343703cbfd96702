/* paykeep's card rules in the browser, shared by the hosted Checkout page (checkout.js) and the Drop-in Element
   frame (dropin/frame.js): the same brands, lengths and Luhn check as the server (domain/cards.py). Served at
   /static/card_rules.js; defines window.PaykeepCardRules. Plain JavaScript, no build step. */
(function () {
  "use strict";
  var LENGTHS = {
    visa: [13, 16, 19], mastercard: [16], amex: [15], discover: [16, 17, 18, 19], jcb: [16, 17, 18, 19],
    diners: [14, 15, 16, 17, 18, 19], unionpay: [16, 17, 18, 19], unknown: [12, 13, 14, 15, 16, 17, 18, 19]
  };

  function digitsOf(value) { return (value || "").replace(/\D/g, ""); }

  function brandOf(d) {
    var n = function (w) { return d.length >= w ? parseInt(d.slice(0, w), 10) : -1; };
    if (!d) { return "unknown"; }
    if (d.charAt(0) === "4") { return "visa"; }
    if ((n(2) >= 51 && n(2) <= 55) || (n(4) >= 2221 && n(4) <= 2720)) { return "mastercard"; }
    if (d.slice(0, 2) === "34" || d.slice(0, 2) === "37") { return "amex"; }
    if ((n(3) >= 300 && n(3) <= 305) || ["36", "38", "39"].indexOf(d.slice(0, 2)) >= 0 ||
        d.slice(0, 4) === "3095") { return "diners"; }
    if (n(4) >= 3528 && n(4) <= 3589) { return "jcb"; }
    if (d.slice(0, 4) === "6011" || (n(3) >= 644 && n(3) <= 649) || d.slice(0, 2) === "65") { return "discover"; }
    if (d.slice(0, 2) === "62" || d.slice(0, 2) === "81") { return "unionpay"; }
    return "unknown";
  }

  function luhn(d) {
    var sum = 0;
    for (var i = 0; i < d.length; i++) {
      var x = d.charCodeAt(d.length - 1 - i) - 48;
      if (i % 2 === 1) { x *= 2; if (x > 9) { x -= 9; } }
      sum += x;
    }
    return d.length > 0 && sum % 10 === 0;
  }

  function groups(d, brand) {
    var sizes = brand === "amex" ? [4, 6, 5] : (brand === "diners" && d.length === 14 ? [4, 6, 4] : [4, 4, 4, 4, 3]);
    var out = [], at = 0;
    for (var i = 0; i < sizes.length && at < d.length; i++) { out.push(d.slice(at, at + sizes[i])); at += sizes[i]; }
    return out.join(" ");
  }

  window.PaykeepCardRules = { LENGTHS: LENGTHS, digitsOf: digitsOf, brandOf: brandOf, luhn: luhn, groups: groups };
})();
