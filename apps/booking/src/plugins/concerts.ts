import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createConcertDirectory, type ConcertDirectory } from '@concert/booking-domain';

declare module 'fastify' {
  interface FastifyInstance {
    concerts: ConcertDirectory;
  }
}

async function concerts(app: FastifyInstance) {
  app.decorate('concerts', createConcertDirectory(app.sql));
}

export const concertsPlugin = fp(concerts, { name: 'concerts', dependencies: ['database'] });
