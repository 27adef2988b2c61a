/* The work queue's badge and notice (待办). The page's <body> names the poll
   URL (data-queue-poll); the script fetches it at load and every
   data-queue-seconds, shows the total on the menu and, for an item whose key
   this browser has not seen for this user, a notice with a link to it.
   No inline code: the Content-Security-Policy runs none. */
(function () {
  "use strict";
  var body = document.body;
  var url = body && body.getAttribute("data-queue-poll");
  if (!url || !window.fetch || !window.JSON) {
    return;
  }
  var seconds = parseInt(body.getAttribute("data-queue-seconds"), 10) || 60;
  var storeKey = "pims.queue.seen." + (body.getAttribute("data-queue-user") || "");
  var badge = document.querySelector("[data-queue-total]");
  var notice = document.getElementById("queue-notice");
  var timer = null;

  function loadSeen() {
    try {
      var raw = window.localStorage.getItem(storeKey);
      return raw === null ? null : JSON.parse(raw);
    } catch (e) {
      return null;
    }
  }

  function saveSeen(keys) {
    try {
      window.localStorage.setItem(storeKey, JSON.stringify(keys));
    } catch (e) {
      /* private mode or full: the notice simply repeats */
    }
  }

  function showBadge(total) {
    if (!badge) {
      return;
    }
    badge.textContent = String(total);
    badge.hidden = total === 0;
  }

  function showNotice(items) {
    if (!notice || items.length === 0) {
      return;
    }
    var list = notice.querySelector("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      li.appendChild(document.createTextNode("（" + item.source + "）"));
      list.appendChild(li);
    });
    notice.hidden = false;
  }

  function apply(data) {
    showBadge(data.total || 0);
    var keys = (data.items || []).map(function (i) { return i.key; });
    var seen = loadSeen();
    if (seen !== null) {
      var known = {};
      seen.forEach(function (k) { known[k] = true; });
      showNotice((data.items || []).filter(function (i) { return !known[i.key]; }));
    }
    /* Remember what is on the list now (and what was, so that an item shown
       once is not announced again while it stays). */
    saveSeen(keys.concat((seen || []).filter(function (k) { return keys.indexOf(k) < 0; })).slice(0, 500));
  }

  function poll() {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, redirect: "manual" })
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error("signed out");
        }
        return resp.json();
      })
      .then(function (data) {
        apply(data);
        timer = window.setTimeout(poll, seconds * 1000);
      })
      .catch(function () {
        /* Signed out or offline: stop; the next page load starts again. */
        if (timer) {
          window.clearTimeout(timer);
        }
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-queue-dismiss]") : null;
    if (button && notice) {
      notice.hidden = true;
      notice.querySelector("ul").textContent = "";
    }
  });
  poll();
})();
