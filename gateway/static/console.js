// Mpaka console: small enhancements; every page works without this file.
// - the script editor and the texts table lint as the admin types (the
//   server's linter, debounced);
// - the simulator's forms update only the simulator panel.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');

  function post(url, body) {
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": token ? token.content : "" }
    }).then(function (response) {
      if (!response.ok && response.status !== 400) { throw new Error(response.status); }
      return response.text();
    });
  }

  function swap(selector, html) {
    var current = document.querySelector(selector);
    var next = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
    if (current && next) { current.replaceWith(document.importNode(next, true)); }
    return document.querySelector(selector);
  }

  var editor = document.getElementById("body");
  if (editor && editor.dataset.lint) {
    var timer = null, sent = editor.value;
    editor.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (editor.value === sent) { return; }
        sent = editor.value;
        var form = new FormData();
        form.append("body", editor.value);
        post(editor.dataset.lint, form).then(function (html) { swap("#lint", html); })
          .catch(function () { /* the Check button still works */ });
      }, 500);
    });
  }

  // The texts table: the whole table, as typed, to the server's linter.
  var table = document.getElementById("texts-form");
  if (table && table.dataset.lint) {
    var pending = null, last = null;
    table.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        var form = new FormData(table);
        var now = new URLSearchParams(form).toString();
        if (now === last) { return; }
        last = now;
        post(table.dataset.lint, form).then(function (html) { swap("#lint", html); })
          .catch(function () { /* the Check button still works */ });
      }, 500);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.swap) { return; }
    event.preventDefault();
    // form.getAttribute, not form.action: a form with an <input name="action">
    // (the simulator's) answers form.action with that input element.
    post(form.getAttribute("action"), new FormData(form)).then(function (html) {
      var panel = swap(form.dataset.swap, html);
      var input = panel && panel.querySelector("#sim-input");
      if (input) { input.focus(); }
    }).catch(function () { form.removeAttribute("data-swap"); form.submit(); });
  });

  // The weekly summary's Print button (inline handlers are refused by the CSP).
  document.addEventListener("click", function (event) {
    if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-print")) {
      window.print();
    }
  });
})();
