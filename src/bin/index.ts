#!/usr/bin/env node
// fd 1 belongs to JSON-RPC. The stdout guard is claimed before any other module is evaluated — static imports
// would all evaluate first, in an order the bundler chooses — and only then is the edge loaded.
import './stdout-guard.js';

await import('./edge.js');
