'use strict';
/**
 * An HTTP service for a GNN: a model Registry and a Predictor behind node:http, nothing else.
 *
 *   node examples/http-service.js [--registry DIR] [--port 8080] [--host 127.0.0.1] [--mode full]
 *
 *   GET  /predict?nodes=1,2,3    the served version's logits and class for each node (JSON)
 *   POST /promote?version=v2     promote a registered version and swap to it (no request dropped);
 *                                a version that fails its warm-up run is rolled back (409)
 *   POST /rollback               return to the previously promoted version
 *   GET  /versions               registered versions, the active one, the promotion history
 *   GET  /metrics                Prometheus text: requests, errors, queue, latency, model version
 *   GET  /healthz                200 while serving, with the version; 503 while shutting down
 *
 * On first start with an empty registry it registers the two Cora models shipped in data/models
 * (a GCN as v1, GraphSAGE as v2, each with its test accuracy as a metric) and promotes v1. The
 * Predictor also watches the registry, so a promotion made by another process (a deploy script
 * calling registry.promote) is served within a second.
 *
 * Mode: 'full' by default here. Cora is small and static, so one whole-graph pass (about 0.8 ms)
 * cached until the next swap answers every request in a copy of rows, while a receptive-field
 * query costs about as much as that pass each time. On large graphs, or features that change
 * between requests, run with --mode auto (receptive-field queries: cost follows the nodes asked).
 *
 * /promote and /rollback change what every client gets: a real deployment puts them behind
 * authentication. The service listens on loopback by default.
 */
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const { CsrMatrix, Predictor, PROMETHEUS_CONTENT_TYPE, Registry, Tensor, io, loadModelSync } = require('gnn-kernels');

const DATA = path.join(__dirname, '..', 'data');
/** Requests asking for more nodes than this are refused (400): one request must not hold the server. */
const MAX_NODES_PER_REQUEST = 1000;

/** Cora with PyG's NormalizeFeatures (each row divided by its sum), as the shipped models were trained. */
function loadCora() {
  const cora = io.loadPlanetoid(path.join(DATA, 'cora'));
  const [n, f] = cora.x.shape;
  const x = new Float32Array(cora.x.data);
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let c = 0; c < f; c++) sum += x[r * f + c];
    if (sum >= 1) for (let c = 0; c < f; c++) x[r * f + c] /= sum;
  }
  return { ...cora, x: CsrMatrix.fromDense(Tensor.from(x, [n, f])) };
}

function testAccuracy(model, cora) {
  const out = model.forwardSync(cora.graph, cora.x);
  const c = out.shape[1];
  let right = 0;
  let total = 0;
  for (let r = 0; r < out.shape[0]; r++) {
    if (!cora.testMask[r]) continue;
    let best = 0;
    for (let k = 1; k < c; k++) if (out.data[r * c + k] > out.data[r * c + best]) best = k;
    total++;
    if (best === cora.y.data[r]) right++;
  }
  return right / total;
}

/** Registers the shipped Cora models into an empty registry and promotes the first. */
async function bootstrap(registry, cora) {
  if (registry.versions().length > 0) return;
  for (const [name, notes] of [['gcn_cora', 'GCN trained in PyG 2.6.1'], ['sage_cora', 'GraphSAGE (mean) trained in PyG 2.6.1']]) {
    const dir = path.join(DATA, 'models', name);
    await registry.register(dir, { metrics: { testAccuracy: testAccuracy(loadModelSync(dir), cora) }, notes });
  }
  await registry.promote('v1');
}

function parseNodes(query) {
  const raw = query.get('nodes');
  if (raw === null || raw === '') throw coded('ERR_INVALID_ARG_VALUE', 'nodes: expected a comma-separated list of node ids, got nothing');
  const parts = raw.split(',');
  if (parts.length > MAX_NODES_PER_REQUEST) throw coded('ERR_OUT_OF_RANGE', `nodes: expected at most ${MAX_NODES_PER_REQUEST} node ids, got ${parts.length}`);
  return parts.map((p, i) => {
    if (!/^\d{1,10}$/.test(p.trim())) throw coded('ERR_INVALID_ARG_VALUE', `nodes[${i}]: expected a non-negative integer, got ${JSON.stringify(p)}`);
    return Number(p);
  });
}

function coded(code, message) {
  return Object.assign(new Error(message), { code });
}

/** HTTP status for an error code: the client's fault, a state conflict, overload, or ours. */
function statusOf(error) {
  switch (error && error.code) {
    case 'ERR_INVALID_ARG_TYPE':
    case 'ERR_INVALID_ARG_VALUE':
    case 'ERR_OUT_OF_RANGE':
      return 400;
    case 'ERR_GNN_REGISTRY':
    case 'ERR_GNN_MODEL_FILE':
    case 'ERR_GNN_SHAPE_MISMATCH':
      return 409;
    case 'ERR_GNN_OVERLOADED':
    case 'ERR_GNN_ABORTED':
      return 503;
    default:
      return 500;
  }
}

function send(res, status, body, type = 'application/json') {
  const text = type === 'application/json' ? `${JSON.stringify(body)}\n` : body;
  const headers = { 'content-type': type, 'content-length': Buffer.byteLength(text) };
  if (status === 503) headers['retry-after'] = '1';
  res.writeHead(status, headers);
  res.end(text);
}

/**
 * Starts the service. Options: registryDir (default: a folder in the OS temp dir), host
 * (127.0.0.1), port (8080; 0 picks a free one), mode ('full'), maxConcurrency, maxQueue, watchMs (1000).
 * Resolves to { url, server, registry, predictor, close() }.
 */
async function createService(options = {}) {
  const registryDir = options.registryDir || path.join(os.tmpdir(), 'gnn-kernels-example-registry');
  const host = options.host || '127.0.0.1';
  const cora = loadCora();
  const registry = Registry.open(registryDir);
  await bootstrap(registry, cora);
  const predictor = new Predictor({
    registry,
    graph: cora.graph,
    x: cora.x,
    mode: options.mode || 'full',
    maxConcurrency: options.maxConcurrency || 4,
    maxQueue: options.maxQueue === undefined ? 256 : options.maxQueue,
    watch: options.watchMs || 1000,
  });
  predictor.on('swap', ({ from, to }) => console.log(`serving ${to} (was ${from})`));
  predictor.on('reloadError', (error) => console.error(`kept ${predictor.version}: ${error.message}`));
  let closing = false;

  async function handle(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /predict': {
        const answer = await predictor.predict(parseNodes(url.searchParams));
        const c = answer.logits.shape[1];
        const predictions = Array.from(answer.nodes, (node, i) => ({
          node,
          class: answer.classes[i],
          logits: Array.from(answer.logits.data.subarray(i * c, (i + 1) * c)),
        }));
        return send(res, 200, { version: answer.version, predictions });
      }
      case 'POST /promote': {
        const version = url.searchParams.get('version');
        if (!version) throw coded('ERR_INVALID_ARG_VALUE', 'version: expected ?version=<a registered version>, got nothing');
        const before = registry.active();
        await registry.promote(version);
        try {
          await predictor.checkForUpdate();
        } catch (error) {
          // The new version cannot serve (the Predictor kept the old one): undo the promotion so
          // the registry says what is served, and tell the caller why.
          if (before !== null && registry.active() === version) await registry.rollback();
          error.message = `${version} was promoted but cannot serve, rolled back to ${registry.active()}: ${error.message}`;
          throw error;
        }
        return send(res, 200, { active: registry.active(), serving: predictor.version });
      }
      case 'POST /rollback': {
        await registry.rollback();
        await predictor.checkForUpdate();
        return send(res, 200, { active: registry.active(), serving: predictor.version });
      }
      case 'GET /versions':
        return send(res, 200, { active: registry.active(), versions: registry.versions(), history: registry.history() });
      case 'GET /metrics':
        return send(res, 200, predictor.metrics(), PROMETHEUS_CONTENT_TYPE);
      case 'GET /healthz':
        if (closing) return send(res, 503, { status: 'closing' });
        return send(res, 200, { status: 'ok', version: predictor.version, path: predictor.path, numNodes: cora.graph.numNodes });
      default: {
        const known = ['/predict', '/promote', '/rollback', '/versions', '/metrics', '/healthz'].includes(url.pathname);
        return send(res, known ? 405 : 404, { error: { code: known ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND', message: `${route}: no such route` } });
      }
    }
  }

  const server = http.createServer((req, res) => {
    req.resume(); // bodies are not used: drain them so keep-alive connections stay usable
    handle(req, res).catch((error) => {
      const status = statusOf(error);
      if (status === 500) console.error(error);
      send(res, status, { error: { code: error.code || 'INTERNAL', message: error.message } });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port === undefined ? 8080 : options.port, host, resolve);
  });
  const { port } = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  /** Stops accepting connections, answers every admitted request, then closes. */
  async function close() {
    closing = true;
    const stopped = new Promise((resolve) => server.close(resolve));
    await predictor.close();
    server.closeIdleConnections();
    await stopped;
  }
  return { url, server, registry, predictor, close };
}

module.exports = { createService };

if (require.main === module) {
  const args = process.argv.slice(2);
  const arg = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = arg('port') === undefined ? Number(process.env.PORT || 8080) : Number(arg('port'));
  createService({ registryDir: arg('registry'), host: arg('host'), port, mode: arg('mode') })
    .then((service) => {
      console.log(`listening on ${service.url} (serving ${service.predictor.version}, registry ${service.registry.dir})`);
      const stop = () => {
        service.close().then(() => process.exit(0), (error) => {
          console.error(error);
          process.exit(1);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
