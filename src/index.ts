// Entry point the Functions host loads: each import registers its functions with `app`.
import './functions/guard.js';
import './functions/reconcileHttp.js';
import './functions/reconcileTimer.js';
import './functions/sweepTimer.js';
import './functions/outboxTimer.js';
