import { loadConfigOrExit } from '@concert/config';
import { seedDemoSystem } from '../seed.js';

const config = loadConfigOrExit();
const { concert, createdSchedules, registered } = await seedDemoSystem(config);
console.log(
  `seeded concert "${concert.title}" (queue ${concert.queueId}): ${createdSchedules.length} new date(s), ` +
    (registered ? 'queue registered' : 'queue already registered'),
);
