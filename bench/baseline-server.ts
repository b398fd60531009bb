// The baseline: a bare Fastify JSON route, started the way the apps are (same Node, same loader).
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/ping', async () => ({ ok: true, at: 'baseline' }));
app.get('/health/ready', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
