// The Allowed Domains page. Everything shown comes from the admin API and is put into the
// page with textContent, never as HTML. The token is kept in this tab's sessionStorage
// only; every write sends If-Match with the version the page shows.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = { tenant: null, etag: null };
  const REASONS = {
    no_matching_rule: "no rule of this mode matches this origin",
    unknown_tenant: "this tenant has no policy yet",
    malformed_origin: "this is not a valid origin (scheme://host[:port])",
    opaque_origin: "an opaque origin (null) is never allowed",
    public_suffix_boundary: "the host is a public suffix, which a wildcard never covers",
  };

  function show(element, visible) {
    element.hidden = !visible;
  }

  function clear(element) {
    while (element.firstChild) element.removeChild(element.firstChild);
  }

  function api(method, path, body) {
    const headers = { Authorization: "Bearer " + $("token").value.trim() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && state.etag) headers["If-Match"] = state.etag;
    return fetch("/admin/v1/tenants/" + encodeURIComponent(state.tenant) + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    }).then(function (response) {
      return response
        .json()
        .catch(function () { return {}; })
        .then(function (json) { return { status: response.status, headers: response.headers, json: json }; });
    });
  }

  function message(json, fallback) {
    return (json && json.error && json.error.message) || fallback;
  }

  function status(text) {
    $("status").textContent = text || "";
    show($("status"), Boolean(text));
  }

  // The error of an answer that is not the endpoint's own: returns true when handled.
  function common(answer) {
    if (answer.status === 401) {
      status("The admin token was not accepted. Check it and load again.");
    } else if (answer.status === 403) {
      status("This token may not manage that tenant.");
    } else if (answer.status === 412) {
      show($("conflict"), true);
    } else if (answer.status >= 500) {
      status(message(answer.json, "The service could not be reached. Nothing was changed."));
    } else {
      return false;
    }
    return true;
  }

  function renderList(list, entries, mode) {
    clear(list);
    if (!entries.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "No " + mode + " domains yet.";
      list.appendChild(empty);
      return;
    }
    entries.forEach(function (entry) {
      const item = document.createElement("li");
      item.setAttribute("data-pattern", entry.pattern);
      const text = document.createElement("div");
      const pattern = document.createElement("span");
      pattern.className = "pattern";
      pattern.textContent = entry.pattern;
      text.appendChild(pattern);
      if (entry.note) {
        const note = document.createElement("span");
        note.className = "note";
        note.textContent = entry.note;
        text.appendChild(note);
      }
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove " + entry.pattern + " from " + mode);
      remove.addEventListener("click", function () { removeEntry(mode, entry.pattern); });
      item.appendChild(text);
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function renderWarnings(box, warnings, title) {
    clear(box);
    if (!warnings || !warnings.length) {
      show(box, false);
      return;
    }
    const heading = document.createElement("strong");
    heading.textContent = title;
    const list = document.createElement("ul");
    warnings.forEach(function (warning) {
      const item = document.createElement("li");
      item.textContent = warning.message;
      list.appendChild(item);
    });
    box.appendChild(heading);
    box.appendChild(list);
    show(box, true);
  }

  function load() {
    state.tenant = $("tenant").value.trim();
    if (!state.tenant) return Promise.resolve();
    sessionStorage.setItem("origin-policy-admin-token", $("token").value.trim());
    sessionStorage.setItem("origin-policy-admin-tenant", state.tenant);
    status("");
    return api("GET", "").then(function (answer) {
      if (common(answer)) return;
      if (answer.status !== 200) {
        status(message(answer.json, "The list could not be loaded."));
        return;
      }
      const json = answer.json;
      state.etag = answer.headers.get("ETag");
      show($("conflict"), false);
      $("version").textContent = json.version === null ? "none yet" : String(json.version);
      renderList($("entries-live"), json.live, "live");
      renderList($("entries-test"), json.test, "test");
      renderWarnings($("list-warnings"), json.warnings, "Warnings about the list:");
      const refused = $("refused");
      clear(refused);
      if (json.refused) {
        refused.textContent =
          "Version " + json.refused.version + " of this policy was written around the dashboard and " +
          "does not build; the replicas keep serving the list below. " +
          json.refused.errors.map(function (e) { return e.message; }).join(" ");
      }
      show(refused, Boolean(json.refused));
    });
  }

  // The entry with ^ under its span (byte offsets, as the API gives them).
  function carets(entry, span) {
    let bytes = 0;
    let start = null;
    let end = null;
    let column = 0;
    for (const ch of entry) {
      if (bytes === span.start) start = column;
      if (bytes === span.end) end = column;
      bytes += new TextEncoder().encode(ch).length;
      column += 1;
    }
    if (start === null) start = column;
    if (end === null) end = column;
    return entry + "\n" + " ".repeat(start) + "^".repeat(Math.max(1, end - start));
  }

  function showAddError(errors) {
    const box = $("add-error");
    clear(box);
    const suggestion = $("add-suggestion");
    show(suggestion, false);
    if (!errors || !errors.length) {
      show(box, false);
      $("add-pattern").removeAttribute("aria-invalid");
      return;
    }
    errors.forEach(function (error) {
      const line = document.createElement("div");
      line.textContent = error.message;
      box.appendChild(line);
      if (error.entry !== null && error.entry !== undefined && error.span) {
        const pre = document.createElement("pre");
        pre.textContent = carets(error.entry, error.span);
        box.appendChild(pre);
      }
      if (error.hint) {
        const hint = document.createElement("div");
        hint.className = "hint";
        hint.textContent = "Hint: " + error.hint;
        box.appendChild(hint);
      }
      if (error.suggestion) {
        suggestion.textContent = "Use " + error.suggestion;
        suggestion.setAttribute("data-suggestion", error.suggestion);
        show(suggestion, true);
      }
    });
    $("add-pattern").setAttribute("aria-invalid", "true");
    show(box, true);
  }

  function add() {
    if (!state.tenant) return load();
    const body = { mode: $("add-mode").value, pattern: $("add-pattern").value };
    const note = $("add-note").value.trim();
    if (note) body.note = note;
    renderWarnings($("add-warnings"), [], "");
    return api("POST", "/domains", body).then(function (answer) {
      if (common(answer)) return;
      if (answer.status === 201) {
        showAddError([]);
        $("add-pattern").value = "";
        $("add-note").value = "";
        renderWarnings($("add-warnings"), answer.json.warnings,
          "Added " + answer.json.canonical + ", with warnings:");
        return load();
      }
      if (answer.status === 422) {
        showAddError(answer.json.errors);
      } else {
        showAddError([{ message: message(answer.json, "The domain could not be added.") }]);
      }
    });
  }

  function removeEntry(mode, pattern) {
    const query = "?mode=" + encodeURIComponent(mode) + "&pattern=" + encodeURIComponent(pattern);
    return api("DELETE", "/domains" + query).then(function (answer) {
      if (common(answer)) return;
      if (answer.status === 200) return load();
      status(message(answer.json, "The domain could not be removed."));
    });
  }

  function check() {
    if (!state.tenant) return load();
    const query = "?mode=" + encodeURIComponent($("check-mode").value) +
      "&origin=" + encodeURIComponent($("check-origin").value.trim());
    const result = $("check-result");
    return api("GET", "/check" + query).then(function (answer) {
      if (common(answer)) return;
      const json = answer.json;
      if (answer.status !== 200) {
        result.className = "result denied";
        result.textContent = message(json, "The origin could not be tested.");
      } else if (json.allowed) {
        result.className = "result allowed";
        result.textContent = json.rule
          ? "Allowed by " + json.rule + (json.note ? " (" + json.note + ")" : "")
          : "Allowed: a loopback origin in test mode";
      } else {
        result.className = "result denied";
        result.textContent = "Denied: " + (REASONS[json.reason] || "not allowed") + " (" + json.reason + ")";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("token").value = sessionStorage.getItem("origin-policy-admin-token") || "";
    $("tenant").value = sessionStorage.getItem("origin-policy-admin-tenant") || "";
    $("account").addEventListener("submit", function (event) { event.preventDefault(); load(); });
    $("add").addEventListener("submit", function (event) { event.preventDefault(); add(); });
    $("check").addEventListener("submit", function (event) { event.preventDefault(); check(); });
    $("conflict-reload").addEventListener("click", function () { load(); });
    $("add-suggestion").addEventListener("click", function () {
      $("add-pattern").value = $("add-suggestion").getAttribute("data-suggestion");
      add();
    });
    if ($("token").value && $("tenant").value) load();
  });
})();
