/* The emulator's Link UI: institution search, Sandbox credentials, account selection.
 *
 * In an iframe (opened by link-initialize.js) it reports to the parent page with postMessage, addressed to
 * the parent's origin only. As Hosted Link (/link/hosted) it is a full page and the result is read with
 * /link/token/get. Text from the server is always set with textContent, never as markup.
 */
(function () {
  "use strict";
  var SOURCE = "plaid-emulator-link";
  var params = new URLSearchParams(window.location.search);
  var token = params.get("token") || "";
  var hosted = window.location.pathname.replace(/\/+$/, "").endsWith("/link/hosted");
  var parentOrigin = null;
  try {
    var given = params.get("origin");
    if (!hosted && given && window.parent !== window) {
      var parsed = new URL(given);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") {
        parentOrigin = parsed.origin;
      }
    }
  } catch (e) {
    parentOrigin = null;
  }
  var apiBase = window.location.pathname.replace(/\/link\/(ui|hosted)\/?$/, "") + "/link/api/";
  var session = null;
  var finished = false;
  var institution = null;
  var searchSeq = 0;

  function $(id) {
    return document.getElementById(id);
  }

  function show(step) {
    ["loading", "step-institution", "step-credentials", "step-accounts", "step-done", "step-failed"].forEach(
      function (id) {
        $(id).hidden = id !== step;
      }
    );
  }

  function post(message) {
    if (parentOrigin) {
      message.source = SOURCE;
      window.parent.postMessage(message, parentOrigin);
    }
  }

  function event(name, extra) {
    var metadata = {
      link_session_id: session ? session.link_session_id : null,
      institution_id: institution ? institution.institution_id : null,
      institution_name: institution ? institution.name : null,
      timestamp: new Date().toISOString(),
      view_name: null,
    };
    for (var key in extra || {}) {
      metadata[key] = extra[key];
    }
    post({ type: "event", eventName: name, metadata: metadata });
  }

  function api(name, body) {
    return fetch(apiBase + name, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          var error = new Error(data.display_message || data.error_message || "request failed");
          error.plaid = data;
          throw error;
        }
        return data;
      });
    });
  }

  function fail(error) {
    $("failed-text").textContent = error.message;
    show("step-failed");
    if (error.plaid) {
      event("ERROR", { error_code: error.plaid.error_code, error_type: error.plaid.error_type });
    }
  }

  function leave() {
    if (finished) {
      return;
    }
    finished = true;
    if (!session) {
      post({ type: "exit", error: null, metadata: { status: null, institution: null, link_session_id: null } });
      return;
    }
    api("exit", { link_token: token, link_session_id: session.link_session_id })
      .catch(function () {
        return { error: null, metadata: { link_session_id: session.link_session_id } };
      })
      .then(function (result) {
        event("EXIT", { exit_status: result.metadata.status || null });
        post({ type: "exit", error: result.error, metadata: result.metadata });
        if (hosted) {
          $("done-title").textContent = "Link closed";
          $("done-text").textContent = "You can close this window.";
          show("step-done");
        }
      });
  }

  function renderInstitutions(list) {
    var ul = $("institutions");
    ul.textContent = "";
    list.forEach(function (ins) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "institution";
      button.dataset.institutionId = ins.institution_id;
      button.textContent = ins.name;
      button.addEventListener("click", function () {
        institution = { institution_id: ins.institution_id, name: ins.name };
        event("SELECT_INSTITUTION");
        showCredentials();
      });
      li.appendChild(button);
      ul.appendChild(li);
    });
    $("no-results").hidden = list.length > 0;
  }

  function search() {
    var seq = ++searchSeq;
    var query = $("institution-search").value;
    api("search", { link_token: token, link_session_id: session.link_session_id, query: query })
      .then(function (data) {
        if (seq === searchSeq) {
          renderInstitutions(data.institutions);
        }
      })
      .catch(fail);
  }

  function showCredentials() {
    $("institution-name").textContent = institution.name;
    $("update-note").hidden = session.mode !== "update";
    $("error").hidden = true;
    show("step-credentials");
    $("username").focus();
  }

  function renderAccounts(accounts) {
    var ul = $("accounts");
    ul.textContent = "";
    accounts.forEach(function (account) {
      var li = document.createElement("li");
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = "account";
      box.value = account.id;
      box.checked = true;
      var name = document.createElement("span");
      name.textContent = account.name;
      var meta = document.createElement("span");
      meta.className = "account-meta";
      meta.textContent = (account.subtype || account.type) + (account.mask ? " ••" + account.mask : "");
      label.appendChild(box);
      label.appendChild(name);
      label.appendChild(meta);
      li.appendChild(label);
      ul.appendChild(li);
    });
    show("step-accounts");
  }

  function complete(accountIds) {
    return api("complete", {
      link_token: token,
      link_session_id: session.link_session_id,
      account_ids: accountIds,
    }).then(function (result) {
      finished = true;
      event("HANDOFF");
      post({ type: "success", public_token: result.public_token, metadata: result.metadata });
      if (hosted) {
        $("done-text").textContent = "Your account was connected. You can close this window.";
        if (session.completion_redirect_uri) {
          window.location.assign(session.completion_redirect_uri);
        }
      }
      show("step-done");
    });
  }

  function onCredentials(e) {
    e.preventDefault();
    var submit = $("submit-credentials");
    submit.disabled = true;
    $("error").hidden = true;
    event("SUBMIT_CREDENTIALS");
    api("login", {
      link_token: token,
      link_session_id: session.link_session_id,
      institution_id: institution.institution_id,
      username: $("username").value,
      password: $("password").value,
    })
      .then(function (result) {
        if (result.select_accounts) {
          renderAccounts(result.accounts);
          return null;
        }
        return complete(null);
      })
      .catch(function (error) {
        if (!error.plaid) {
          fail(error);
          return;
        }
        $("error").textContent = error.message;
        $("error").hidden = false;
        $("password").value = "";
        event("ERROR", { error_code: error.plaid.error_code, error_type: error.plaid.error_type });
      })
      .then(function () {
        submit.disabled = false;
      });
  }

  function onAccounts(e) {
    e.preventDefault();
    var ids = Array.prototype.map.call(
      document.querySelectorAll("input[name=account]:checked"),
      function (box) {
        return box.value;
      }
    );
    if (!ids.length) {
      $("accounts-error").textContent = "Choose at least one account.";
      $("accounts-error").hidden = false;
      return;
    }
    var submit = $("submit-accounts");
    submit.disabled = true;
    complete(ids).catch(fail).then(function () {
      submit.disabled = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (hosted) {
      document.body.classList.add("hosted");
    }
    $("plaid-close").addEventListener("click", leave);
    $("credentials-form").addEventListener("submit", onCredentials);
    $("accounts-form").addEventListener("submit", onAccounts);
    $("institution-search").addEventListener("input", search);
    window.addEventListener("message", function (message) {
      // handler.exit() in the parent page asks Link to close.
      if (parentOrigin && message.origin === parentOrigin && message.source === window.parent) {
        var data = message.data || {};
        if (data.source === SOURCE && data.type === "exit") {
          leave();
        }
      }
    });
    api("open", { link_token: token })
      .then(function (data) {
        session = data;
        $("client-name").textContent = data.client_name;
        event("OPEN");
        if (data.mode === "update") {
          institution = data.institution;
          showCredentials();
        } else {
          show("step-institution");
          search();
          $("institution-search").focus();
        }
      })
      .catch(function (error) {
        fail(error);
        finished = true;
        post({ type: "exit", error: error.plaid || null, metadata: { status: null, link_session_id: null } });
      });
  });
})();
