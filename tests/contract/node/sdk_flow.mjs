// The official `stripe` npm package (23.2.0) against a paykeep server in the Stripe dialect (issue 13).
//
//   PAYKEEP_BASE_URL=http://127.0.0.1:8420 PAYKEEP_SECRET_KEY=sk_test_... node sdk_flow.mjs
//
// Runs a merchant's whole server-side flow through the SDK, changing nothing but host/port/protocol and the
// key: customer, SetupIntent with payment_method_data, list payment methods, 3-D Secure save then an
// off-session PaymentIntent, refund, StripeCardError on a decline, auto-pagination, and a webhook endpoint
// whose real deliveries (received here, on 127.0.0.1) pass `stripe.webhooks.constructEvent` on their
// `Stripe-Signature` header. Timestamps must be Unix seconds (`new Date(obj.created * 1000)` within a minute
// of now) and currencies lower-case.
//
// Prints one JSON line to stdout: {"ok": true, "steps": [...], ...ids} and exits 0; or
// {"ok": false, "step": "<failing step>", "error": "..."} and exits 1.
// Optional env: PAYKEEP_RECEIVER_HOST (default 127.0.0.1) for the in-process webhook receiver,
// PAYKEEP_WEBHOOK_WAIT_MS (default 15000) to bound every wait for a delivery.

import http from 'node:http';
import { once } from 'node:events';
import Stripe from 'stripe';

const RETURN_URL = 'https://shop.example/pay/complete';
const FRICTIONLESS = '4242424242424242';
const THREE_DS_ON_SESSION = '4000002500003155'; // challenge on setup / on-session, succeeds off-session
const INSUFFICIENT_FUNDS = '4000000000009995';
const ID = (prefix) => new RegExp(`^${prefix}_[0-9]{19}[0-9A-Za-z]{5}$`);

const steps = [];
let current = 'configuration';

class StepFailure extends Error {}

function check(condition, message, detail) {
  if (!condition) {
    throw new StepFailure(detail === undefined ? message : `${message}: ${JSON.stringify(detail)}`);
  }
}

function checkRecent(created, what) {
  check(Number.isInteger(created), `${what}.created is not an integer`, created);
  const when = new Date(created * 1000);
  check(Math.abs(Date.now() - when.getTime()) <= 60_000,
    `${what}.created = ${created} (${when.toISOString()}) is not Unix seconds within a minute of now`);
}

function checkId(value, prefix) {
  check(typeof value === 'string' && ID(prefix).test(value), `not a Stripe-dialect ${prefix}_ id`, value);
}

async function step(name, fn) {
  current = name;
  const value = await fn();
  steps.push(name);
  return value;
}

async function expectThrow(fn, what) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new StepFailure(`${what} did not throw`);
}

function cardData(number) {
  const year = new Date().getUTCFullYear() + 3;
  return { type: 'card', card: { number, exp_month: 4, exp_year: year, cvc: '022', name: 'Test Holder' } };
}

// -- a real webhook receiver ----------------------------------------------------------------------------

function startReceiver(host) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  server.listen(0, host);
  return { server, received };
}

async function waitForDelivery(received, type, objectId, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const req of received) {
      let event;
      try {
        event = JSON.parse(req.body.toString('utf8'));
      } catch {
        continue;
      }
      if (event.type === type && event.data?.object?.id === objectId) {
        return req;
      }
    }
    check(Date.now() < deadline, `no ${type} delivery for ${objectId} within ${timeoutMs} ms`,
      { received: received.length });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// -- the 3-D Secure challenge page (API.md §4.2), answered as a browser would ---------------------------

async function answerChallenge(url) {
  const page = await fetch(url);
  check(page.status === 200, `GET challenge page -> ${page.status}`);
  const html = await page.text();
  check(html.includes('value="complete"'), 'challenge page has no complete button');
  const resp = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams({ outcome: 'complete' }),
    redirect: 'manual',
  });
  check(resp.status === 303, `POST challenge page -> ${resp.status}`);
  return new URL(resp.headers.get('location')).searchParams;
}

// -- the flow -------------------------------------------------------------------------------------------

async function main() {
  const baseUrl = process.env.PAYKEEP_BASE_URL;
  const secretKey = process.env.PAYKEEP_SECRET_KEY;
  check(baseUrl && secretKey, 'PAYKEEP_BASE_URL and PAYKEEP_SECRET_KEY are required');
  const waitMs = Number(process.env.PAYKEEP_WEBHOOK_WAIT_MS || 15000);
  const base = new URL(baseUrl);
  const stripe = new Stripe(secretKey, {
    host: base.hostname,
    port: base.port || (base.protocol === 'https:' ? 443 : 80),
    protocol: base.protocol.replace(':', ''),
    maxNetworkRetries: 0,
    telemetry: false,
  });
  const { server: hooks, received } = startReceiver(process.env.PAYKEEP_RECEIVER_HOST || '127.0.0.1');
  await once(hooks, 'listening');
  const { address, port } = hooks.address();
  const result = { ok: true, sdk: stripe.VERSION, api_version: Stripe.API_VERSION, steps };

  try {
    const endpoint = await step('webhook_endpoint', async () => {
      const we = await stripe.webhookEndpoints.create({
        url: `http://${address}:${port}/hooks`, enabled_events: ['*'], description: 'node sdk contract',
      });
      checkId(we.id, 'we');
      checkRecent(we.created, 'webhook_endpoint');
      check(typeof we.secret === 'string' && we.secret.startsWith('whsec_'), 'endpoint secret', we.secret);
      check(we.api_version === Stripe.API_VERSION, 'endpoint api_version is not the SDK Stripe-Version',
        we.api_version);
      return we;
    });
    result.webhook_endpoint = endpoint.id;

    const tag = Math.random().toString(36).slice(2, 12);
    const customer = await step('customer', async () => {
      const cus = await stripe.customers.create({
        email: `${tag}@example.com`, name: 'Node Buyer', metadata: { tag },
      });
      checkId(cus.id, 'cus');
      checkRecent(cus.created, 'customer');
      check(cus.object === 'customer' && cus.email === `${tag}@example.com`, 'customer fields', cus);
      check(cus.metadata.tag === tag && cus.livemode === false && !('live_mode' in cus), 'customer fields', cus);
      check(cus.lastResponse.headers['stripe-version'], 'no Stripe-Version response header');
      const again = await stripe.customers.retrieve(cus.id);
      check(again.id === cus.id && again.created === cus.created, 'retrieve customer', again);
      return cus;
    });
    result.customer = customer.id;

    const seti = await step('setup_intent_payment_method_data', async () => {
      const si = await stripe.setupIntents.create({
        confirm: true, customer: customer.id, payment_method_types: ['card'],
        payment_method_data: cardData(FRICTIONLESS), usage: 'off_session', return_url: RETURN_URL,
      });
      checkId(si.id, 'seti');
      checkRecent(si.created, 'setup_intent');
      check(si.status === 'succeeded' && si.customer === customer.id, 'setup intent', si);
      check(si.payment_method_options?.card?.request_three_d_secure === 'automatic',
        'request_three_d_secure default', si.payment_method_options);
      return si;
    });
    result.setup_intent = seti.id;

    await step('list_payment_methods', async () => {
      const listed = await stripe.customers.listPaymentMethods(customer.id, { type: 'card' });
      check(listed.object === 'list', 'not a list', listed);
      check(listed.data.length === 1 && listed.data[0].id === seti.payment_method, 'payment methods',
        listed.data.map((pm) => pm.id));
      const pm = listed.data[0];
      checkId(pm.id, 'pm');
      checkRecent(pm.created, 'payment_method');
      check(pm.card.last4 === '4242' && pm.card.brand === 'visa' && pm.customer === customer.id, 'card', pm.card);
    });

    const offSessionPm = await step('three_d_secure_setup', async () => {
      const si = await stripe.setupIntents.create({
        confirm: true, customer: customer.id, payment_method_types: ['card'],
        payment_method_data: cardData(THREE_DS_ON_SESSION), usage: 'off_session', return_url: RETURN_URL,
      });
      check(si.status === 'requires_action', 'setup intent needing 3DS', si.status);
      check(si.next_action?.type === 'redirect_to_url', 'next_action type', si.next_action);
      const redirect = si.next_action.redirect_to_url;
      check(redirect.return_url === RETURN_URL && redirect.url.startsWith(`${base.origin}/`), 'redirect', redirect);
      const query = await answerChallenge(redirect.url);
      check(query.get('redirect_status') === 'succeeded', 'redirect_status', query.toString());
      const done = await stripe.setupIntents.retrieve(si.id);
      check(done.status === 'succeeded' && typeof done.payment_method === 'string', 'after challenge', done);
      return done.payment_method;
    });

    const intent = await step('off_session_payment_intent', async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 2500, currency: 'usd', customer: customer.id, payment_method: offSessionPm,
        off_session: true, confirm: true, metadata: { order: 'node-off-session' },
      });
      checkId(pi.id, 'pi');
      checkRecent(pi.created, 'payment_intent');
      check(pi.status === 'succeeded' && pi.amount_received === 2500, 'payment intent', pi);
      check(pi.currency === 'usd', 'currency', pi.currency);
      check(!('merchant_order_id' in pi), 'merchant_order_id present in the Stripe dialect');
      check(typeof pi.latest_charge === 'string' && pi.latest_charge.startsWith('ch_'), 'latest_charge', pi);
      return pi;
    });
    result.payment_intent = intent.id;

    const refund = await step('refund', async () => {
      const re = await stripe.refunds.create({ payment_intent: intent.id, amount: 1000 });
      checkId(re.id, 're');
      checkRecent(re.created, 'refund');
      check(re.status === 'succeeded' && re.amount === 1000 && re.currency === 'usd', 'refund', re);
      check(re.payment_intent === intent.id, 'refund payment_intent', re.payment_intent);
      const charged = await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] });
      check(charged.latest_charge.amount_refunded === 1000, 'charge amount_refunded', charged.latest_charge);
      return re;
    });
    result.refund = refund.id;

    await step('card_error', async () => {
      const err = await expectThrow(() => stripe.paymentIntents.create({
        amount: 2000, currency: 'usd', confirm: true, return_url: RETURN_URL,
        payment_method_data: cardData(INSUFFICIENT_FUNDS),
      }), 'a declined payment');
      check(err instanceof Stripe.errors.StripeCardError, 'not a StripeCardError', `${err.type}: ${err.message}`);
      check(err.type === 'StripeCardError' && err.statusCode === 402, 'error type/status',
        { type: err.type, statusCode: err.statusCode });
      check(err.code === 'card_declined' && err.decline_code === 'insufficient_funds', 'codes',
        { code: err.code, decline_code: err.decline_code });
      check(err.payment_intent?.status === 'requires_payment_method', 'embedded intent', err.payment_intent);
      check(err.payment_intent.currency === 'usd', 'embedded intent currency', err.payment_intent.currency);
      result.declined_payment_intent = err.payment_intent.id;
    });

    await step('auto_paging', async () => {
      const email = `paging-${tag}@example.com`;
      const created = [];
      for (let n = 0; n < 25; n += 1) {
        created.push((await stripe.customers.create({ email, metadata: { n: String(n) } })).id);
      }
      const newestFirst = [...created].reverse();
      const first = await stripe.customers.list({ limit: 10, email });
      check(first.data.length === 10 && first.has_more === true, 'first page', first.data.length);
      const walked = [];
      for await (const c of stripe.customers.list({ limit: 10, email })) {
        walked.push(c.id);
      }
      check(JSON.stringify(walked) === JSON.stringify(newestFirst), 'for await ... of list()', walked);
      const all = await stripe.customers.list({ limit: 10, email }).autoPagingToArray({ limit: 100 });
      check(JSON.stringify(all.map((c) => c.id)) === JSON.stringify(newestFirst), 'autoPagingToArray',
        all.map((c) => c.id));
      result.paged = walked.length;
    });

    await step('webhook_construct_event', async () => {
      const events = [];
      for (const [type, obj] of [['customer.created', customer], ['payment_intent.succeeded', intent]]) {
        const req = await waitForDelivery(received, type, obj.id, waitMs);
        const header = req.headers['stripe-signature'];
        check(typeof header === 'string' && /^t=\d{10},v1=[0-9a-f]{64}$/.test(header), 'Stripe-Signature', header);
        const event = stripe.webhooks.constructEvent(req.body, header, endpoint.secret);
        check(event.type === type && event.data.object.id === obj.id, 'verified event', event);
        checkId(event.id, 'evt');
        checkRecent(event.created, `event ${type}`);
        checkRecent(event.data.object.created, `${type} data.object`);
        check(event.api_version === Stripe.API_VERSION, 'event api_version', event.api_version);
        const retrieved = await stripe.events.retrieve(event.id);
        check(retrieved.id === event.id && retrieved.created === event.created, 'retrieve event', retrieved);
        const wrongSecret = await expectThrow(
          () => stripe.webhooks.constructEvent(req.body, header, 'whsec_not_the_secret'), 'a wrong secret');
        check(wrongSecret instanceof Stripe.errors.StripeSignatureVerificationError, 'wrong secret error',
          wrongSecret.message);
        const tampered = Buffer.from(req.body.toString('utf8').replace(obj.id, 'cus_tampered'));
        const tamperedErr = await expectThrow(
          () => stripe.webhooks.constructEvent(tampered, header, endpoint.secret), 'a tampered body');
        check(tamperedErr instanceof Stripe.errors.StripeSignatureVerificationError, 'tampered body error',
          tamperedErr.message);
        if (type === 'payment_intent.succeeded') {
          const paid = event.data.object;
          check(paid.currency === 'usd' && paid.amount_received === 2500, 'delivered intent', paid);
        }
        events.push(event.id);
      }
      result.events = events;
    });
  } finally {
    hooks.close();
  }
  return result;
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err) => {
    const failure = { ok: false, step: current, steps, error: err instanceof Error ? err.message : String(err) };
    if (err && typeof err === 'object' && 'type' in err && err.raw) {
      failure.stripe_error = { type: err.type, statusCode: err.statusCode, raw: err.raw };
    }
    process.stdout.write(`${JSON.stringify(failure)}\n`);
    process.exit(1);
  },
);
