/** Test-only resource modules the MCP conformance suite reads (see tools.mjs). */
import { TEST_IMAGE_BASE64 } from './tools.mjs';

export default [
  {
    kind: 'resource',
    uri: 'test://static-text',
    name: 'static-text',
    title: 'Static Text Resource',
    description: 'Conformance fixture: a fixed text resource.',
    mimeType: 'text/plain',
    read: async (uri) => [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  },
  {
    kind: 'resource',
    uri: 'test://static-binary',
    name: 'static-binary',
    title: 'Static Binary Resource',
    description: 'Conformance fixture: a fixed binary resource (a 1x1 PNG).',
    mimeType: 'image/png',
    read: async (uri) => [{ uri, mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }],
  },
  {
    kind: 'resource',
    uri: 'test://template/{id}/data',
    name: 'template',
    title: 'Resource Template',
    description: 'Conformance fixture: a resource template whose {id} is echoed in the content.',
    mimeType: 'application/json',
    read: async (uri, { id }) => [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
    complete: (_variable, value) => ['123', '456', '789'].filter((id) => id.startsWith(value)),
  },
  {
    kind: 'resource',
    uri: 'test://watched-resource',
    name: 'watched-resource',
    title: 'Watched Resource',
    description: 'Conformance fixture: a resource that reports a change every 3 seconds while subscribed.',
    mimeType: 'text/plain',
    read: async (uri) => [{ uri, mimeType: 'text/plain', text: 'Watched resource content' }],
    watch: (_uri, _params, changed) => {
      const timer = setInterval(changed, 3000);
      timer.unref();
      return () => clearInterval(timer);
    },
  },
];
