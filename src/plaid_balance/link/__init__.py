"""Connect a bank with Plaid Link: a one-time local page (or Hosted Link), update mode, and the vault.

* ``products`` / ``request``: which products and filters a link token asks for, as pure functions;
* ``page`` / ``server``: the local page, its Content-Security-Policy and the one-time server;
* ``outcome``: the result the page posts, parsed strictly;
* ``flow``: the whole journey (token → Link → exchange → vault), with Plaid and the vault behind protocols;
* ``adapters``: those protocols bound to ``PlaidClient`` and the real vault.

Needs the ``web`` extra (starlette, uvicorn, jinja2) for the local page.
"""
