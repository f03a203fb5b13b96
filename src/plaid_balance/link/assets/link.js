"use strict";
// Opens Plaid Link and reports its outcome to the plaid-balance command that served this page, and to
// nothing else: same-origin POSTs carrying the one-time state token.
(function () {
  var config = JSON.parse(document.getElementById("link-config").textContent);
  var status = document.getElementById("status");

  function say(text, state) {
    status.textContent = text;
    document.body.setAttribute("data-state", state);
  }

  function post(url, payload) {
    payload.state = config.state;
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      credentials: "same-origin", // the session cookie the sign-in link gave (HttpOnly, SameSite=Strict)
      cache: "no-store",
      redirect: "error",
    }).then(function (response) { return response.ok; }, function () { return false; });
  }

  function pick(object, keys) {
    var out = {};
    if (!object) { return null; }
    keys.forEach(function (key) { if (object[key] !== undefined) { out[key] = object[key]; } });
    return out;
  }

  // The command has the result; what it made of it (linked, or refused and why) comes from /status.
  // Until it answers, the page says it is still working: never "done" before the bank is in the vault.
  function waitForCommand() {
    fetch(config.status_url, { credentials: "same-origin", cache: "no-store", redirect: "error" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.state === "pending") {
          setTimeout(waitForCommand, 400);
        } else {
          say(answer.message, answer.state === "done" ? "done" : "refused");
        }
      }, function () {
        say("The plaid-balance command has finished; your terminal says whether the bank was linked.", "error");
      });
  }

  if (typeof window.Plaid === "undefined" || typeof window.Plaid.create !== "function") {
    say("Plaid Link could not be loaded. Check your network connection, then run the command again.", "error");
    post(config.event_url, { event: "LOAD_FAILED" });
    return;
  }

  var handler = window.Plaid.create({
    token: config.link_token,
    onSuccess: function (publicToken, metadata) {
      say("Connected. Finishing in your terminal…", "working");
      post(config.result_url, {
        outcome: "success",
        public_token: publicToken,
        metadata: {
          link_session_id: metadata.link_session_id || null,
          institution: pick(metadata.institution, ["name", "institution_id"]),
          accounts: (metadata.accounts || []).map(function (account) {
            return pick(account, ["id", "name", "mask", "type", "subtype"]);
          }),
        },
      }).then(function (ok) {
        if (ok) {
          waitForCommand();
        } else {
          say("The plaid-balance command did not accept this result. Check your terminal.", "error");
        }
      });
    },
    onExit: function (error, metadata) {
      metadata = metadata || {};
      post(config.result_url, {
        outcome: "exit",
        error: pick(error, ["error_type", "error_code", "error_message", "display_message"]),
        metadata: {
          status: metadata.status || null,
          link_session_id: metadata.link_session_id || null,
          institution: pick(metadata.institution, ["name", "institution_id"]),
        },
      }).then(function () {
        say(error ? "Link stopped on an error; see your terminal. You can close this tab."
                  : "Link was closed; nothing was linked. You can close this tab.", "exit");
      });
    },
    onEvent: function (eventName, metadata) {
      post(config.event_url, { event: String(eventName), institution: (metadata && metadata.institution_name) || null });
    },
  });
  say(config.update ? "Log in to your bank in the Plaid window." : "Choose your bank in the Plaid window.", "open");
  handler.open();
})();
