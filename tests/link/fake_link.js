// A stand-in for Plaid's link-initialize.js with the same API (Plaid.create({token, onSuccess, onExit,
// onEvent}).open()). Buttons let the test act as the user; it lets us check our page's contract alone.
window.Plaid = {
  create: function (options) {
    return {
      open: function () {
        var box = document.createElement("div");
        box.id = "fake-link";
        box.setAttribute("data-token", options.token);
        function button(id, label, action) {
          var b = document.createElement("button");
          b.id = id;
          b.textContent = label;
          b.addEventListener("click", action);
          box.appendChild(b);
        }
        button("fake-success", "Link First Platypus Bank", function () {
          options.onEvent("HANDOFF", {});
          options.onSuccess("public-fake-" + options.token, {
            institution: { name: "First Platypus Bank", institution_id: "ins_109508" },
            accounts: [{ id: "acc-1", name: "Plaid Checking", mask: "0000", type: "depository", subtype: "checking" }],
            link_session_id: "session-1",
          });
        });
        button("fake-exit", "Close Link", function () {
          options.onExit(null, { status: "requires_credentials", link_session_id: "session-1" });
        });
        button("fake-error", "Fail", function () {
          options.onExit({ error_type: "ITEM_ERROR", error_code: "INVALID_CREDENTIALS", error_message: "bad",
                           display_message: "The credentials were not correct." },
                         { status: "requires_credentials", link_session_id: "session-1" });
        });
        document.querySelector("main").appendChild(box);
        options.onEvent("OPEN", {});
      },
    };
  },
};
