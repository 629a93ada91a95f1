// notesite serve: live reload. Injected by `notesite serve` only, never part of a built site.
// Listens for rebuilds over Server-Sent Events: reloads this page when it changed (keeping the scroll
// position), swaps stylesheets in place, shows build problems in an overlay, and reconnects after the
// server restarts.
(function () {
  "use strict";
  var me = document.currentScript;
  var build = me ? me.getAttribute("data-build") : "";
  var page = decodeURIComponent(location.pathname.replace(/^\/+/, "")) || "index.html";
  if (/\/$/.test(page)) page += "index.html";
  var scrollKey = "notesite-scroll:" + location.pathname;

  try {
    var saved = sessionStorage.getItem(scrollKey);
    if (saved !== null) {
      sessionStorage.removeItem(scrollKey);
      var y = parseInt(saved, 10);
      // Instant: the theme may ask for smooth scrolling, which would visibly scroll down from the top.
      var restore = function () { window.scrollTo({ top: y, behavior: "instant" }); };
      restore();
      window.addEventListener("load", restore);
    }
  } catch (e) { /* storage may be unavailable */ }

  function reload() {
    try { sessionStorage.setItem(scrollKey, String(window.scrollY)); } catch (e) { /* ignore */ }
    location.reload();
  }

  function shows(pages) {
    for (var i = 0; i < pages.length; i++) {
      var p = pages[i];
      if (p === page || p === page + "/index.html" || (p === "404.html" && document.title.indexOf("not found") >= 0)) return true;
    }
    return false;
  }

  function swapCss(pairs) {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href") || "";
      for (var j = 0; j < pairs.length; j++) {
        var from = pairs[j][0], to = pairs[j][1];
        var at = href.lastIndexOf(from);
        if (at >= 0 && at + from.length === href.length) links[i].setAttribute("href", href.slice(0, at) + to);
      }
    }
  }

  var overlay = null;
  function showProblems(problems) {
    if (overlay) { overlay.remove(); overlay = null; }
    if (!problems.length) return;
    overlay = document.createElement("div");
    overlay.setAttribute("role", "alert");
    overlay.id = "notesite-overlay";
    overlay.style.cssText = "position:fixed;left:1rem;right:1rem;bottom:1rem;max-height:45vh;overflow:auto;z-index:2147483647;" +
      "background:#1f1f23;color:#f4f4f5;border-left:4px solid #ef4444;border-radius:6px;padding:.75rem 1rem;" +
      "font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-shadow:0 8px 30px rgba(0,0,0,.35)";
    var close = document.createElement("button");
    close.textContent = "×";
    close.setAttribute("aria-label", "Dismiss");
    close.style.cssText = "float:right;background:none;border:0;color:inherit;font-size:18px;cursor:pointer";
    close.onclick = function () { overlay.remove(); overlay = null; };
    overlay.appendChild(close);
    problems.forEach(function (p) {
      var line = document.createElement("div");
      line.style.margin = ".25rem 0";
      var where = document.createElement("strong");
      where.textContent = p.location + ": " + p.severity + ": ";
      where.style.color = p.severity === "error" ? "#fca5a5" : "#fcd34d";
      line.appendChild(where);
      line.appendChild(document.createTextNode(p.message));
      if (p.hint) {
        var hint = document.createElement("div");
        hint.style.opacity = ".75";
        hint.textContent = "hint: " + p.hint;
        line.appendChild(hint);
      }
      overlay.appendChild(line);
    });
    document.body.appendChild(overlay);
  }

  function connect() {
    var source = new EventSource("/__notesite/events");
    source.onmessage = function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (msg.type === "hello") {
        // First message of every connection: another build than this page's means the page is stale
        // (a rebuild happened while it loaded, or the server restarted).
        if (String(msg.build) !== build) return reload();
        showProblems(msg.problems);
      } else if (msg.type === "reload") {
        if (shows(msg.pages)) return reload();
        build = String(msg.build);
      } else if (msg.type === "css") {
        build = String(msg.build);
        swapCss(msg.replace);
      } else if (msg.type === "problems") {
        build = String(msg.build);
        showProblems(msg.problems);
      }
    };
  }
  connect();
})();
