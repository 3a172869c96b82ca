/* DeskPilot web widget: customers write from inside the product, the desk sees what they saw.
 *
 * Embed with one tag, then init:
 *   <script src="https://desk.example.com/widget.js"></script>
 *   <script>DeskPilot.init({siteKey: "pk_acme_live", endpoint: "https://desk.example.com"})</script>
 *
 * Dependency-free and unbundled on purpose: it is served as written. It records, from the
 * moment it loads: the page's URL and title, route changes, uncaught errors, unhandled
 * rejections and console.error calls (message and source, deduplicated, the last 20), the
 * customer's steps (clicks on buttons and links by their label, form submissions, route
 * changes; the last 20), the text of visible alerts and status messages, and the browser.
 * It never reads what anyone typed into a field, and masks emails and long digit runs in
 * everything it captures before it leaves the page.
 */
(function (window, document) {
  "use strict";
  if (window.DeskPilot && window.DeskPilot.version) return;

  var KEEP = 20;
  var state = {
    options: null, errors: [], steps: [], product: {}, user: null,
    conversation: null, messages: [], pollTimer: null, panel: null, opener: null
  };

  // --- masking: what leaves the page never holds an email or a card or phone number ------
  var EMAIL = /[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[A-Za-z]{2,}/g;
  var DIGITS = /\d(?:[ -]?\d){6,}/g;
  function mask(text) {
    return String(text == null ? "" : text).replace(EMAIL, "[email]").replace(DIGITS, "[number]");
  }
  function clip(text, n) {
    text = String(text).replace(/\s+/g, " ").trim();
    return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
  }

  // --- errors: uncaught, unhandled rejections, console.error ------------------------------
  function where(file, line, col) {
    if (!file) return "";
    return String(file).split("?")[0] + (line ? ":" + line + (col ? ":" + col : "") : "");
  }
  function frameOf(stack) {
    // The first "file:line:col" of a stack: where the error was raised.
    var m = /((?:https?|file):\/\/[^\s)]+):(\d+):(\d+)/.exec(String(stack || ""));
    return m ? where(m[1], m[2], m[3]) : "";
  }
  function recordError(kind, message, source) {
    var text = clip(mask(kind + ": " + message + (source ? " (at " + mask(source) + ")" : "")), 480);
    for (var i = 0; i < state.errors.length; i++) {
      if (state.errors[i].text === text) {
        state.errors[i].count++;
        state.errors.push(state.errors.splice(i, 1)[0]);
        return;
      }
    }
    state.errors.push({ text: text, count: 1 });
    if (state.errors.length > KEEP) state.errors.shift();
  }
  window.addEventListener("error", function (event) {
    if (!event || event.target !== window && event.target && event.target.tagName) {
      var el = event && event.target;
      if (el && (el.src || el.href)) recordError("Failed to load", el.tagName.toLowerCase(), el.src || el.href);
      return;
    }
    var err = event.error;
    var message = err && err.message ? (err.name ? err.name + ": " : "") + err.message : event.message;
    recordError("Uncaught", message, where(event.filename, event.lineno, event.colno) || frameOf(err && err.stack));
  }, true);
  window.addEventListener("unhandledrejection", function (event) {
    var reason = event.reason;
    var message = reason && reason.message ? (reason.name ? reason.name + ": " : "") + reason.message : String(reason);
    recordError("Unhandled rejection", message, frameOf(reason && reason.stack));
  });
  var consoleError = window.console && window.console.error;
  if (consoleError) {
    window.console.error = function () {
      try {
        var parts = [];
        var source = "";
        for (var i = 0; i < arguments.length; i++) {
          var a = arguments[i];
          if (a instanceof Error) { parts.push((a.name ? a.name + ": " : "") + a.message); source = source || frameOf(a.stack); }
          else if (typeof a === "object") { try { parts.push(JSON.stringify(a)); } catch (e) { parts.push(String(a)); } }
          else parts.push(String(a));
        }
        if (!source) {
          // The caller's line: the stack's first frame outside this script.
          var lines = String(new Error().stack || "").split("\n");
          for (var j = 1; j < lines.length; j++) {
            if (lines[j].indexOf("widget.js") === -1 && /:\d+:\d+/.test(lines[j])) { source = frameOf(lines[j]); break; }
          }
        }
        recordError("console.error", parts.join(" "), source);
      } catch (ignored) { /* capture must never break the product's logging */ }
      return consoleError.apply(this, arguments);
    };
  }

  // --- steps: clicks, form submissions, route changes -------------------------------------
  function addStep(text) {
    text = clip(mask(text), 200);
    if (state.steps.length && state.steps[state.steps.length - 1] === text) return;
    state.steps.push(text);
    if (state.steps.length > KEEP) state.steps.shift();
  }
  function labelOf(el) {
    var label = el.getAttribute("aria-label");
    var by = el.getAttribute("aria-labelledby");
    if (!label && by) {
      label = by.split(/\s+/).map(function (id) {
        var t = document.getElementById(id);
        return t ? t.textContent : "";
      }).join(" ");
    }
    var type = (el.getAttribute("type") || "").toLowerCase();
    // Button-like inputs show their value as their label; no other input's value is read.
    if (!label && el.tagName === "INPUT" && /^(submit|button|reset)$/.test(type)) label = el.value;
    if (!label) label = el.innerText || el.textContent || "";
    if (!label) label = el.getAttribute("title") || "";
    return clip(label, 80);
  }
  function insideWidget(el) {
    return !!(el && el.closest && el.closest("[data-deskpilot]"));
  }
  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest &&
      event.target.closest("button, a, [role=button], [role=link], [role=menuitem], [role=tab], input[type=submit], input[type=button]");
    if (!el || insideWidget(el)) return;
    var kind = el.tagName === "A" || el.getAttribute("role") === "link" ? "link" : "button";
    var label = labelOf(el);
    addStep("clicked " + kind + (label ? " \u201c" + label + "\u201d" : ""));
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || insideWidget(form)) return;
    var name = form.getAttribute("aria-label") || form.getAttribute("name") || form.id || "";
    addStep("submitted form" + (name ? " \u201c" + clip(name, 80) + "\u201d" : ""));
  }, true);
  var lastPath = location.pathname + location.search;
  function routeChanged() {
    var path = location.pathname + location.search;
    if (path === lastPath) return;
    lastPath = path;
    addStep("went to " + location.pathname + (document.title ? " (" + document.title + ")" : ""));
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    if (!original) return;
    history[name] = function () {
      var result = original.apply(this, arguments);
      setTimeout(routeChanged, 0); // after the app has set the new title
      return result;
    };
  });
  window.addEventListener("popstate", routeChanged);
  window.addEventListener("hashchange", routeChanged);

  // --- what the page shows -----------------------------------------------------------------
  function visible(el) {
    if (!el.getClientRects().length) return false;
    var style = window.getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none";
  }
  function visibleState() {
    var selectors = ["[role=alert]", "[role=status]"].concat((state.options && state.options.errorSelectors) || []);
    var seen = [];
    var found = document.querySelectorAll(selectors.join(","));
    for (var i = 0; i < found.length && seen.length < 10; i++) {
      var el = found[i];
      if (insideWidget(el) || !visible(el)) continue;
      var text = clip(mask(el.innerText || el.textContent || ""), 300);
      if (text && seen.indexOf(text) === -1) seen.push(text);
    }
    return seen.join(" | ");
  }
  function environment() {
    var ua = navigator.userAgent || "";
    var browser = (/Edg\/([\d]+)/.exec(ua) && "Edge " + RegExp.$1) ||
      (/(?:Chrome|Chromium)\/([\d]+)/.exec(ua) && "Chrome " + RegExp.$1) ||
      (/Firefox\/([\d]+)/.exec(ua) && "Firefox " + RegExp.$1) ||
      (/Version\/([\d.]+).*Safari/.exec(ua) && "Safari " + RegExp.$1) || "unknown";
    if (/HeadlessChrome/.test(ua)) browser = "Headless " + browser;
    var os = /Windows/.test(ua) ? "Windows" : /Android/.test(ua) ? "Android" :
      /iPhone|iPad|iPod/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" :
      /CrOS/.test(ua) ? "ChromeOS" : /Linux/.test(ua) ? "Linux" : "unknown";
    var env = {
      browser: browser, os: os,
      viewport: window.innerWidth + "\u00d7" + window.innerHeight,
      language: navigator.language || ""
    };
    try { env.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* old browsers */ }
    return env;
  }
  function pageContext() {
    return {
      url: clip(location.href, 2000),
      title: clip(document.title, 300),
      visible_state: visibleState(),
      errors: state.errors.map(function (e) { return e.count > 1 ? e.text + " (\u00d7" + e.count + ")" : e.text; }),
      steps_attempted: state.steps.slice(),
      environment: environment(),
      product: state.product
    };
  }

  // --- talking to the desk -----------------------------------------------------------------
  function storageKey() { return "deskpilot:" + state.options.siteKey + ":conversation"; }
  function loadConversation() {
    try { return JSON.parse(window.localStorage.getItem(storageKey()) || "null"); } catch (e) { return null; }
  }
  function saveConversation(c) {
    state.conversation = c;
    try {
      if (c) window.localStorage.setItem(storageKey(), JSON.stringify(c));
      else window.localStorage.removeItem(storageKey());
    } catch (e) { /* private mode: the conversation lasts as long as the page */ }
  }
  function request(method, path, body, token) {
    if (!state.options) return Promise.reject(new Error("call DeskPilot.init({siteKey, endpoint}) first"));
    var headers = { "X-DeskPilot-Site-Key": state.options.siteKey };
    if (body) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(state.options.endpoint + path, {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      credentials: "omit", mode: "cors"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "the desk answered " + response.status);
          error.status = response.status;
          error.field = data.field;
          throw error;
        }
        return data;
      });
    });
  }
  function remember(data) {
    state.messages = data.messages || [];
    render();
    return data;
  }
  function submit(fields) {
    fields = fields || {};
    var conversation = state.conversation;
    if (conversation) {
      return request("POST", "/widget/v1/conversations/" + conversation.reference + "/messages",
        { message: fields.message || "" }, conversation.token).then(remember).then(function (d) { return d.reference; });
    }
    var user = state.user || {};
    var body = {
      email: user.email || fields.email || "", name: user.name || fields.name || "",
      subject: fields.subject || "", message: fields.message || "", context: pageContext()
    };
    if (user.signature) body.signature = user.signature;
    return request("POST", "/widget/v1/conversations", body).then(function (data) {
      saveConversation({ reference: data.reference, token: data.token });
      if (data.poll_seconds) state.options.pollSeconds = data.poll_seconds;
      remember(data);
      return data.reference;
    });
  }
  function messages() {
    var c = state.conversation;
    if (!c) return Promise.resolve([]);
    return request("GET", "/widget/v1/conversations/" + c.reference + "/messages", null, c.token)
      .then(remember).then(function (data) {
        return data.messages.map(function (m) { return { author: m.author, name: m.name, body: m.body, at: m.at }; });
      }, function (error) {
        if (error.status === 404) { saveConversation(null); state.messages = []; render(); }
        throw error;
      });
  }

  // --- the panel -----------------------------------------------------------------------------
  var CSS = [
    "[data-deskpilot]{--dp-bg:#fff;--dp-fg:#1b1f24;--dp-muted:#57606a;--dp-line:#d0d7de;--dp-accent:#0a58ca;--dp-accent-fg:#fff;--dp-agent:#eef3fb;--dp-error:#b42318;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--dp-fg)}",
    "@media (prefers-color-scheme:dark){[data-deskpilot]{--dp-bg:#1c2128;--dp-fg:#e6edf3;--dp-muted:#9da7b3;--dp-line:#444c56;--dp-accent:#4c8dff;--dp-accent-fg:#0d1117;--dp-agent:#22303f;--dp-error:#ff8a80}}",
    ".dp-launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:999px;padding:10px 16px;background:var(--dp-accent);color:var(--dp-accent-fg);font:inherit;font-weight:600;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.25)}",
    ".dp-panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;box-sizing:border-box;width:360px;max-width:calc(100vw - 16px);max-height:calc(100vh - 32px);display:flex;flex-direction:column;background:var(--dp-bg);color:var(--dp-fg);border:1px solid var(--dp-line);border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.3)}",
    "@media (max-width:400px){.dp-panel{right:8px;left:8px;bottom:8px;width:auto;max-width:none}}",
    ".dp-panel[hidden],.dp-launcher[hidden]{display:none}",
    ".dp-head{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;border-bottom:1px solid var(--dp-line)}",
    ".dp-head h2{margin:0;font-size:16px}",
    ".dp-close{border:0;background:transparent;color:var(--dp-fg);font-size:20px;line-height:1;cursor:pointer;padding:4px 8px;border-radius:6px}",
    ".dp-log{flex:1;overflow:auto;padding:10px 14px;min-height:60px;max-height:40vh}",
    ".dp-msg{margin:6px 0;padding:8px 10px;border-radius:8px;white-space:pre-wrap;word-wrap:break-word;border:1px solid var(--dp-line)}",
    ".dp-msg.dp-agent{background:var(--dp-agent)}",
    ".dp-who{display:block;font-size:12px;color:var(--dp-muted)}",
    ".dp-form{display:flex;flex-direction:column;gap:8px;padding:12px 14px;border-top:1px solid var(--dp-line)}",
    ".dp-form label{font-weight:600;font-size:13px}",
    ".dp-form input,.dp-form textarea{box-sizing:border-box;width:100%;font:inherit;color:var(--dp-fg);background:var(--dp-bg);border:1px solid var(--dp-line);border-radius:6px;padding:7px 9px}",
    ".dp-form textarea{min-height:80px;resize:vertical}",
    ".dp-send{align-self:flex-end;border:0;border-radius:6px;padding:8px 16px;background:var(--dp-accent);color:var(--dp-accent-fg);font:inherit;font-weight:600;cursor:pointer}",
    ".dp-note{font-size:12px;color:var(--dp-muted);margin:0}",
    ".dp-status{min-height:1em;font-size:13px;margin:0}",
    ".dp-status.dp-bad{color:var(--dp-error)}",
    ".dp-new{border:0;background:transparent;color:var(--dp-accent);text-decoration:underline;cursor:pointer;font:inherit;font-size:12px;padding:0;align-self:flex-start}",
    "[data-deskpilot] :focus-visible{outline:2px solid var(--dp-accent);outline-offset:2px}"
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) if (Object.prototype.hasOwnProperty.call(attrs, name)) node.setAttribute(name, attrs[name]);
    if (text != null) node.textContent = text; // outside text is always text, never HTML
    return node;
  }
  function build() {
    var style = el("style", { "data-deskpilot": "" }, CSS);
    document.head.appendChild(style);
    var root = el("div", { "data-deskpilot": "", id: "deskpilot-root" });
    var launcher = el("button", { type: "button", "class": "dp-launcher", id: "deskpilot-launcher", "aria-haspopup": "dialog", "aria-controls": "deskpilot-panel" }, state.options.label || "Help");
    var panel = el("div", { "class": "dp-panel", id: "deskpilot-panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "deskpilot-title", hidden: "" });
    var head = el("div", { "class": "dp-head" });
    head.appendChild(el("h2", { id: "deskpilot-title" }, state.options.title || "Contact support"));
    var close = el("button", { type: "button", "class": "dp-close", id: "deskpilot-close", "aria-label": "Close" }, "\u00d7");
    head.appendChild(close);
    var log = el("div", { "class": "dp-log", id: "deskpilot-log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
    var form = el("form", { "class": "dp-form", id: "deskpilot-form", novalidate: "" });
    var emailLabel = el("label", { "for": "deskpilot-email" }, "Your email");
    var email = el("input", { id: "deskpilot-email", type: "email", autocomplete: "email", required: "" });
    var messageLabel = el("label", { "for": "deskpilot-message" }, "How can we help?");
    var message = el("textarea", { id: "deskpilot-message", required: "", maxlength: "5000" });
    var note = el("p", { "class": "dp-note", id: "deskpilot-note" }, "We include this page's address, its error messages and your recent clicks, never what you typed into the page.");
    var status = el("p", { "class": "dp-status", id: "deskpilot-status", role: "status" });
    var newConversation = el("button", { type: "button", "class": "dp-new", id: "deskpilot-new" }, "Start a new conversation");
    var send = el("button", { type: "submit", "class": "dp-send", id: "deskpilot-send" }, "Send");
    message.setAttribute("aria-describedby", "deskpilot-note");
    [emailLabel, email, messageLabel, message, note, status, newConversation, send].forEach(function (n) { form.appendChild(n); });
    panel.appendChild(head);
    panel.appendChild(log);
    panel.appendChild(form);
    root.appendChild(launcher);
    root.appendChild(panel);
    document.body.appendChild(root);

    launcher.addEventListener("click", open);
    close.addEventListener("click", closePanel);
    newConversation.addEventListener("click", function () {
      saveConversation(null);
      state.messages = [];
      render();
      message.focus();
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); closePanel(); return; }
      if (event.key !== "Tab") return;
      // Focus stays inside the open dialog: Tab from the last control goes to the first.
      var items = focusable();
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      if (event.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = message.value.trim();
      var address = email.value.trim();
      if (!state.conversation && !state.user && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
        showStatus("Please give an email address we can answer you at.", true);
        email.setAttribute("aria-invalid", "true");
        email.focus();
        return;
      }
      email.removeAttribute("aria-invalid");
      if (!text) { showStatus("Please write a message.", true); message.focus(); return; }
      send.disabled = true;
      showStatus("Sending\u2026", false);
      submit({ email: address, message: text }).then(function (reference) {
        message.value = "";
        showStatus("Sent. Your reference is " + reference + "; answers appear here.", false);
        startPolling();
      }, function (error) {
        showStatus("Not sent: " + error.message, true);
      }).then(function () { send.disabled = false; });
    });
    state.panel = { root: root, launcher: launcher, panel: panel, log: log, form: form, email: email, emailLabel: emailLabel, message: message, status: status, newConversation: newConversation };
    render();
  }
  function focusable() {
    var nodes = state.panel.panel.querySelectorAll("button, [href], input, textarea, select, [tabindex]:not([tabindex='-1'])");
    return Array.prototype.filter.call(nodes, function (n) { return !n.disabled && !n.hidden && n.getClientRects().length; });
  }
  function showStatus(text, bad) {
    var s = state.panel && state.panel.status;
    if (!s) return;
    s.textContent = text;
    s.className = "dp-status" + (bad ? " dp-bad" : "");
  }
  function render() {
    var p = state.panel;
    if (!p) return;
    var identified = !!state.user || !!state.conversation;
    p.email.hidden = identified;
    p.emailLabel.hidden = identified;
    p.newConversation.hidden = !state.conversation;
    p.log.hidden = !state.messages.length;
    p.log.textContent = "";
    state.messages.forEach(function (m) {
      var item = el("div", { "class": "dp-msg dp-" + m.author });
      var who = m.author === "customer" ? "You" : (m.name || "Support");
      var at = m.at ? new Date(m.at) : null;
      item.appendChild(el("span", { "class": "dp-who" }, who + (at && !isNaN(at) ? " \u00b7 " + at.toLocaleString() : "")));
      item.appendChild(document.createTextNode(m.body));
      p.log.appendChild(item);
    });
    p.log.scrollTop = p.log.scrollHeight;
  }
  function open() {
    if (!state.panel) return;
    state.opener = document.activeElement;
    state.panel.panel.hidden = false;
    state.panel.launcher.hidden = true;
    state.panel.launcher.setAttribute("aria-expanded", "true");
    var first = state.user || state.conversation ? state.panel.message : state.panel.email;
    first.focus();
    if (state.conversation) { messages().catch(function () {}); startPolling(); }
  }
  function closePanel() {
    if (!state.panel) return;
    state.panel.panel.hidden = true;
    state.panel.launcher.hidden = false;
    state.panel.launcher.setAttribute("aria-expanded", "false");
    stopPolling();
    var back = state.opener && document.contains(state.opener) && state.opener !== document.body ? state.opener : state.panel.launcher;
    back.focus();
  }
  function startPolling() {
    stopPolling();
    var seconds = (state.options && state.options.pollSeconds) || 5;
    state.pollTimer = setInterval(function () {
      if (state.panel && !state.panel.panel.hidden) messages().catch(function () {});
    }, seconds * 1000);
  }
  function stopPolling() {
    if (state.pollTimer) clearInterval(state.pollTimer);
    state.pollTimer = null;
  }

  // --- the public API ------------------------------------------------------------------------
  window.DeskPilot = {
    version: "1",
    /* options: siteKey, endpoint (the desk's base URL), user ({email, name, signature}: the
       signed-in customer), errorSelectors (CSS selectors of the product's error banners),
       panel (false: no panel, the product builds its own form on submit()), label, title. */
    init: function (options) {
      if (!options || !options.siteKey || !options.endpoint) throw new Error("DeskPilot.init needs {siteKey, endpoint}");
      state.options = {
        siteKey: String(options.siteKey), endpoint: String(options.endpoint).replace(/\/+$/, ""),
        errorSelectors: options.errorSelectors || [], label: options.label, title: options.title,
        pollSeconds: options.pollSeconds
      };
      state.user = options.user && options.user.email ? options.user : null;
      state.conversation = loadConversation();
      var ready = function () { if (options.panel !== false && !state.panel) build(); };
      if (document.body) ready(); else document.addEventListener("DOMContentLoaded", ready);
      return window.DeskPilot;
    },
    identify: function (user) { state.user = user && user.email ? user : null; render(); },
    setContext: function (values) {
      for (var name in values) if (Object.prototype.hasOwnProperty.call(values, name)) {
        var v = values[name];
        if (v === undefined) delete state.product[name];
        else state.product[name] = typeof v === "object" && v !== null ? JSON.stringify(v) : v;
      }
    },
    submit: submit,
    messages: messages,
    open: open,
    close: closePanel,
    reset: function () { saveConversation(null); state.messages = []; render(); },
    pageContext: pageContext
  };
})(window, document);
