/* paykeep hosted Checkout: formats the card number as it is typed, shows the brand, and checks the form before
   it is sent with the same rules and messages as the server (domain/cards.py). The page works without it. */
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var number = $("number"), month = $("exp_month"), year = $("exp_year"), cvc = $("cvc"), name = $("name");
  var brandEl = $("brand"), submit = $("submit");
  var msg = {
    number: form.dataset.msgNumber, exp_month: form.dataset.msgExpMonth, exp_year: form.dataset.msgExpYear,
    cvc: form.dataset.msgCvc, name: form.dataset.msgName
  };
  var yearNow = parseInt(form.dataset.yearNow, 10), monthNow = parseInt(form.dataset.monthNow, 10);
  var LABELS = {
    visa: "Visa", mastercard: "Mastercard", amex: "American Express", discover: "Discover", jcb: "JCB",
    diners: "Diners Club", unionpay: "UnionPay"
  };

  var RULES = window.PaykeepCardRules;  // /static/card_rules.js, loaded first
  var LENGTHS = RULES.LENGTHS, digitsOf = RULES.digitsOf, brandOf = RULES.brandOf, luhn = RULES.luhn;
  var groups = RULES.groups;

  function formatNumber() {
    var raw = number.value, caret = number.selectionStart === null ? raw.length : number.selectionStart;
    var before = digitsOf(raw.slice(0, caret)).length;
    var d = digitsOf(raw).slice(0, 19), brand = brandOf(d);
    var text = groups(d, brand);
    number.value = text;
    var pos = 0, seen = 0;
    while (pos < text.length && seen < before) { if (/\d/.test(text.charAt(pos))) { seen++; } pos++; }
    if (document.activeElement === number) { number.setSelectionRange(pos, pos); }
    brandEl.textContent = d.length && LABELS[brand] ? LABELS[brand] : "";
    cvc.maxLength = brand === "amex" ? 4 : 3;
  }

  function checkNumber() {
    var d = digitsOf(number.value);
    return luhn(d) && LENGTHS[brandOf(d)].indexOf(d.length) >= 0 ? "" : msg.number;
  }
  function monthValue() { var t = month.value.trim(); return /^\d+$/.test(t) ? parseInt(t, 10) : NaN; }
  function checkMonth() {
    var m = monthValue();
    if (!(m >= 1 && m <= 12)) { return msg.exp_month; }
    var y = yearValue();
    if (y === yearNow && m < monthNow) { return msg.exp_month; }
    return "";
  }
  function yearValue() {
    var t = year.value.trim();
    if (!/^\d+$/.test(t)) { return NaN; }
    var y = parseInt(t, 10);
    return y < 100 ? y + 2000 : y;
  }
  function checkYear() {
    var y = yearValue();
    return y >= yearNow && y <= yearNow + 50 ? "" : msg.exp_year;
  }
  function checkCvc() {
    var t = cvc.value.trim(), want = brandOf(digitsOf(number.value)) === "amex" ? 4 : 3;
    return /^\d+$/.test(t) && t.length === want ? "" : msg.cvc;
  }
  function checkName() { return name.value.trim() ? "" : msg.name; }

  var fields = [
    [number, checkNumber], [month, checkMonth], [year, checkYear], [cvc, checkCvc], [name, checkName]
  ];

  function show(input, message) {
    var slot = $(input.id + "-error");
    slot.textContent = message;
    if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }

  function validate(input, check) {
    var message = check();
    show(input, message);
    return message;
  }

  number.addEventListener("input", formatNumber);
  fields.forEach(function (pair) {
    pair[0].addEventListener("blur", function () {
      if (pair[0].value.trim()) { validate(pair[0], pair[1]); }
    });
    pair[0].addEventListener("input", function () {
      if (pair[0].getAttribute("aria-invalid") === "true" && !pair[1]()) { show(pair[0], ""); }
    });
  });
  [month, year, cvc].forEach(function (input) {
    input.addEventListener("input", function () { input.value = digitsOf(input.value).slice(0, input.maxLength); });
  });

  form.addEventListener("submit", function (event) {
    var first = null;
    fields.forEach(function (pair) { if (validate(pair[0], pair[1]) && !first) { first = pair[0]; } });
    if (first) {
      event.preventDefault();
      first.focus();
      return;
    }
    $("form-error").hidden = true;
    submit.disabled = true;
    submit.textContent = "Saving…";
  });

  if (number.value) { formatNumber(); }
})();
