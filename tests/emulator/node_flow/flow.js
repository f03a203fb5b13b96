// The official Plaid Node client (`plaid` on npm) against the plaid-balance emulator: the Sandbox flow, the
// balance call, errors, failure controls (over the emulator's admin HTTP API), a signed webhook, billing and
// /item/remove. Reads PLAID_BASE_URL, PLAID_CLIENT_ID and PLAID_SECRET; prints one line per step; exits 1 on
// the first surprise. Run by tests/emulator/test_emulator_node.py.
'use strict';

const assert = require('node:assert/strict');
const http = require('node:http');
const { Configuration, PlaidApi, Products, CountryCode } = require('plaid');

const base = process.env.PLAID_BASE_URL;
const credentials = { clientId: process.env.PLAID_CLIENT_ID, secret: process.env.PLAID_SECRET };

function plaidClient({ clientId, secret }) {
  // The only change from a Sandbox set-up: basePath is the emulator instead of PlaidEnvironments.sandbox.
  return new PlaidApi(
    new Configuration({
      basePath: base,
      baseOptions: {
        headers: { 'PLAID-CLIENT-ID': clientId, 'PLAID-SECRET': secret, 'Plaid-Version': '2020-09-14' },
      },
    }),
  );
}

async function admin(method, path, body) {
  const response = await fetch(`${base}/__emulator${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return response.json();
}

async function plaidError(call) {
  try {
    await call();
  } catch (error) {
    assert.ok(error.response, `no HTTP answer: ${error}`);
    return [error.response.status, error.response.data.error_type, error.response.data.error_code];
  }
  throw new assert.AssertionError({ message: 'the call succeeded but should have failed' });
}

function step(name, detail) {
  console.log(JSON.stringify({ step: name, ...detail }));
}

function webhookReceiver() {
  // Webhooks in arrival order; next() waits for the next one that has not been taken yet.
  const received = [];
  const waiting = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.end();
      while (waiting.length && received.length) waiting.shift()(received.shift());
    });
  });
  const next = () => new Promise((resolve) => {
    if (received.length) resolve(received.shift());
    else waiting.push(resolve);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, next, url: `http://127.0.0.1:${server.address().port}/hook` }));
  });
}

async function main() {
  const client = plaidClient(credentials);

  const created = await client.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: [Products.Transactions],
  });
  assert.match(created.data.public_token, /^public-sandbox-/);
  const exchanged = await client.itemPublicTokenExchange({ public_token: created.data.public_token });
  const accessToken = exchanged.data.access_token;
  const itemId = exchanged.data.item_id;
  assert.match(accessToken, /^access-sandbox-/);
  assert.equal(itemId.length, 37);
  step('sandbox item', { item_id: itemId });

  const balance = await client.accountsBalanceGet({ access_token: accessToken });
  const checking = balance.data.accounts.find((a) => a.mask === '0000');
  assert.equal(checking.name, 'Plaid Checking');
  assert.equal(checking.balances.available, 100);
  assert.equal(checking.balances.current, 110);
  assert.equal(checking.balances.iso_currency_code, 'USD');
  const one = await client.accountsBalanceGet({
    access_token: accessToken,
    options: { account_ids: [checking.account_id] },
  });
  assert.deepEqual(one.data.accounts.map((a) => a.account_id), [checking.account_id]);
  step('balance', { accounts: balance.data.accounts.length });

  const institution = await client.institutionsGetById({
    institution_id: 'ins_109508',
    country_codes: [CountryCode.Us],
    options: { include_optional_metadata: true },
  });
  assert.equal(institution.data.institution.name, 'First Platypus Bank');
  step('institution', { name: institution.data.institution.name });

  // Errors Plaid answers with, as the Node client surfaces them (error.response.status / .data).
  assert.deepEqual(
    await plaidError(() => client.accountsBalanceGet({ access_token: 'access-sandbox-00000000-0000-0000-0000-000000000000' })),
    [400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN'],
  );
  assert.deepEqual(
    await plaidError(() => plaidClient({ ...credentials, secret: 'wrong-secret' }).accountsBalanceGet({ access_token: accessToken })),
    [400, 'INVALID_INPUT', 'INVALID_API_KEYS'],
  );
  assert.deepEqual(
    await plaidError(() => client.accountsBalanceGet({ access_token: accessToken, options: { account_ids: ['nope'] } })),
    [400, 'INVALID_INPUT', 'INVALID_ACCOUNT_ID'],
  );
  step('errors', {});

  // Failure controls: queue failures for the Item's next balance calls over the admin API.
  await admin('POST', `/items/${itemId}/faults`, { fail_next: ['PRODUCT_NOT_READY', 'BALANCE_LIMIT', 'error'] });
  const balanceCall = () => client.accountsBalanceGet({ access_token: accessToken });
  assert.deepEqual(await plaidError(balanceCall), [400, 'ITEM_ERROR', 'PRODUCT_NOT_READY']);
  assert.deepEqual(await plaidError(balanceCall), [429, 'RATE_LIMIT_EXCEEDED', 'BALANCE_LIMIT']);
  assert.deepEqual(await plaidError(balanceCall), [500, 'API_ERROR', 'INTERNAL_SERVER_ERROR']);
  await balanceCall();
  await client.sandboxItemResetLogin({ access_token: accessToken });
  assert.deepEqual(await plaidError(balanceCall), [400, 'ITEM_ERROR', 'ITEM_LOGIN_REQUIRED']);
  await admin('POST', `/items/${itemId}/event`, { code: 'LOGIN_REPAIRED' });
  await balanceCall();
  step('failure controls', {});

  // A webhook, fired through Plaid's own Sandbox endpoint and signed as Plaid signs it.
  const receiver = await webhookReceiver();
  try {
    await client.itemWebhookUpdate({ access_token: accessToken, webhook: receiver.url });
    const acknowledged = await receiver.next();
    assert.equal(acknowledged.body.webhook_code, 'WEBHOOK_UPDATE_ACKNOWLEDGED');
    const fired = await client.sandboxItemFireWebhook({
      access_token: accessToken,
      webhook_type: 'TRANSACTIONS',
      webhook_code: 'DEFAULT_UPDATE',
    });
    assert.equal(fired.data.webhook_fired, true);
    const update = await receiver.next();
    assert.equal(update.body.webhook_type, 'TRANSACTIONS');
    assert.equal(update.body.item_id, itemId);
    const [header] = update.headers['plaid-verification'].split('.');
    const kid = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).kid;
    const key = await client.webhookVerificationKeyGet({ key_id: kid });
    assert.equal(key.data.key.alg, 'ES256');
    step('webhook', { webhook_code: update.body.webhook_code });
  } finally {
    receiver.server.close();
  }

  // Plaid bills each successful balance call: 2 + 2 above.
  const bill = await admin('GET', '/billing');
  assert.equal(bill.balance_calls_by_item[itemId], 4);
  step('billing', { balance_calls: bill.balance_calls });

  await client.itemRemove({ access_token: accessToken });
  assert.deepEqual(await plaidError(balanceCall), [400, 'ITEM_ERROR', 'ITEM_NOT_FOUND']);
  step('item removed', {});
  console.log('node flow: ok');
}

main().catch((error) => {
  console.error(error instanceof assert.AssertionError ? error.message : String(error.stack || error));
  process.exit(1);
});
