/** Test-only prompt modules the MCP conformance suite gets (see tools.mjs). */
import { Type } from '@sinclair/typebox';
import { TEST_IMAGE_BASE64 } from './tools.mjs';

export default [
  {
    kind: 'prompt',
    name: 'test_simple_prompt',
    title: 'Simple Test Prompt',
    description: 'A simple prompt without arguments',
    arguments: Type.Object({}),
    render: () => [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  },
  {
    kind: 'prompt',
    name: 'test_prompt_with_arguments',
    title: 'Prompt With Arguments',
    description: 'A prompt with required arguments',
    arguments: Type.Object({
      arg1: Type.String({ description: 'First test argument' }),
      arg2: Type.String({ description: 'Second test argument' }),
    }),
    render: ({ arg1, arg2 }) => [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }],
    complete: (_argument, value) => ['paris', 'park', 'party', 'test', 'testing'].filter((v) => v.startsWith(value)),
  },
  {
    kind: 'prompt',
    name: 'test_prompt_with_embedded_resource',
    title: 'Prompt With Embedded Resource',
    description: 'A prompt that includes an embedded resource',
    arguments: Type.Object({ resourceUri: Type.String({ description: 'URI of the resource to embed' }) }),
    render: ({ resourceUri }) => [
      {
        role: 'user',
        content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } },
      },
      { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
    ],
  },
  {
    kind: 'prompt',
    name: 'test_prompt_with_image',
    title: 'Prompt With Image',
    description: 'A prompt that includes image content',
    arguments: Type.Object({}),
    render: () => [
      { role: 'user', content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  },
];
