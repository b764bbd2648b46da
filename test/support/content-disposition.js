// jest (with --experimental-vm-modules, which PGlite needs) cannot require the ESM-only
// content-disposition 3 that @fastify/static loads; the CommonJS 0.5 line has the same
// create/parse behaviour under the names version 3 exports.
const contentDisposition = require('content-disposition-cjs');

module.exports = { create: contentDisposition, parse: contentDisposition.parse };
