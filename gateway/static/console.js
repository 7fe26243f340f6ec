// Mpaka console: small enhancements; every page works without this file.
// - the script editor and the texts table lint as the admin types (the
//   server's linter, debounced);
// - the simulator's forms update only the simulator panel;
// - the queue refreshes itself (If-None-Match: a 304 when nothing changed)
//   and cues a new high-severity report on screen and with a tone.
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
  var rows = document.getElementById("queue-rows");
  if (rows && rows.dataset.poll && window.fetch) {
    var etag = rows.dataset.etag || null, seen = {}, every = 10000, key = "mpaka.queue.sound";
    var cue = document.getElementById("queue-cue");
    var toggle = document.getElementById("queue-sound");
    var soundOn = function () { return localStorage.getItem(key) !== "off"; };
    var showSound = function () {
      toggle.setAttribute("aria-pressed", soundOn() ? "true" : "false");
      toggle.textContent = soundOn() ? "Sound on" : "Sound off";
    };
    var remember = function (el) {
      (el.dataset.high || "").split(" ").forEach(function (r) { if (r) { seen[r] = true; } });
    };
    // Browsers start audio only after a tap on the page: the first tap
    // (the sound toggle, or anywhere) makes the context the tones use.
    var Ctx = window.AudioContext || window.webkitAudioContext, audio = null;
    var unlock = function () { if (!audio && Ctx) { audio = new Ctx(); } };
    document.addEventListener("pointerdown", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });
    var beep = function () {
      cue.dataset.sound = "off";
      if (!soundOn() || !Ctx) { return; }
      try {
        unlock();
        if (audio.state === "suspended") { audio.resume(); }
        var t = audio.currentTime;
        [0, 0.25].forEach(function (at) {
          var osc = audio.createOscillator(), gain = audio.createGain();
          osc.frequency.value = 880;
          gain.gain.setValueAtTime(0.25, t + at);
          gain.gain.exponentialRampToValueAtTime(0.001, t + at + 0.2);
          osc.connect(gain); gain.connect(audio.destination);
          osc.start(t + at); osc.stop(t + at + 0.2);
        });
        cue.dataset.sound = "played";
      } catch (e) { /* no sound; the banner still shows */ }
    };
    remember(rows);
    if (toggle) {
      toggle.hidden = false;
      showSound();
      toggle.addEventListener("click", function () {
        localStorage.setItem(key, soundOn() ? "off" : "on");
        showSound();
      });
    }
    var poll = function () {
      if (document.hidden) { return; }
      var headers = { "X-Requested-With": "fetch" };
      if (etag) { headers["If-None-Match"] = etag; }
      fetch(rows.dataset.poll, { credentials: "same-origin", cache: "no-store", headers: headers })
        .then(function (response) {
          if (response.status === 304 || !response.ok) { return null; }
          etag = response.headers.get("ETag");
          return response.text();
        }).then(function (html) {
          if (!html) { return; }
          var current = document.getElementById("queue-rows");
          var next = new DOMParser().parseFromString(html, "text/html").getElementById("queue-rows");
          if (!current || !next) { return; }
          var fresh = (next.dataset.high || "").split(" ").filter(function (r) { return r && !seen[r]; });
          current.replaceWith(document.importNode(next, true));
          rows = document.getElementById("queue-rows");
          remember(rows);
          var count = document.getElementById("queue-count");
          if (count) { count.textContent = rows.dataset.count; }
          if (fresh.length && cue) {
            cue.textContent = "New high-severity report: " + fresh.join(", ");
            cue.hidden = false;
            beep();
          }
        }).catch(function () { /* offline: try again at the next tick */ });
    };
    setInterval(poll, every);
    document.addEventListener("visibilitychange", poll);
  }
})();
