// Stands in for the Azure Functions host's `@azure/functions-core` module, so that loading the app
// with `node --require` records exactly what the host would receive from each `app.*` call:
// function metadata (bindings, schedules, auth levels) and the handler callbacks.
'use strict';
const Module = require('node:module');

const registrations = [];
const hooks = [];
let programmingModel;

const functionsCore = {
  setProgrammingModel(model) {
    programmingModel = model;
  },
  getProgrammingModel() {
    return programmingModel;
  },
  registerFunction(metadata, callback) {
    registrations.push({ metadata, callback });
    return { dispose() {} };
  },
  registerHook(hookName, callback) {
    hooks.push({ hookName, callback });
    return { dispose() {} };
  },
  log() {},
};

const MODULE_ID = '@azure/functions-core';
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolve(request, ...rest) {
  if (request === MODULE_ID) return MODULE_ID;
  return resolveFilename.call(this, request, ...rest);
};
const stub = new Module(MODULE_ID);
stub.exports = functionsCore;
stub.loaded = true;
require.cache[MODULE_ID] = stub;

globalThis.__functionsCore = { registrations, hooks, getProgrammingModel: () => programmingModel };

if (process.env.FUNCTIONS_CORE_DUMP === 'stdout') {
  process.on('exit', () => {
    const dump = {
      programmingModel: programmingModel
        ? { name: programmingModel.name, version: programmingModel.version }
        : null,
      functions: registrations.map((r) => r.metadata),
    };
    process.stdout.write(`${JSON.stringify(dump)}\n`);
  });
}
