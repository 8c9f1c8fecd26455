/**
 * Test-only tool modules with the exact names and behaviour the official MCP conformance suite
 * (@modelcontextprotocol/conformance, `conformance server`) expects of a server under test. They
 * go through the same kernel pipeline as Kubezilla's real tools (validation, annotations,
 * budgets, error mapping); loaded only with `--tools-dir tests/interop/conformance-pack`.
 */
import { Type } from '@sinclair/typebox';

/** A 1x1 PNG and a minimal WAV, as in the suite's reference server. */
export const TEST_IMAGE_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
export const TEST_AUDIO_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every fixture reads nothing outside this process and changes nothing. */
const fixture = (module) => ({ kind: 'tool', safety: 'read', openWorld: false, input: Type.Object({}), ...module });

export default [
  fixture({
    name: 'test_simple_text',
    title: 'Simple text',
    description: 'Conformance fixture: returns one text block.',
    run: async () => 'This is a simple text response for testing.',
  }),
  fixture({
    name: 'test_image_content',
    title: 'Image content',
    description: 'Conformance fixture: returns one image block (a 1x1 PNG).',
    run: async () => ({ content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }] }),
  }),
  fixture({
    name: 'test_audio_content',
    title: 'Audio content',
    description: 'Conformance fixture: returns one audio block (a minimal WAV).',
    run: async () => ({ content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }] }),
  }),
  fixture({
    name: 'test_embedded_resource',
    title: 'Embedded resource',
    description: 'Conformance fixture: returns one embedded text resource.',
    run: async () => ({
      content: [
        {
          type: 'resource',
          resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' },
        },
      ],
    }),
  }),
  fixture({
    name: 'test_multiple_content_types',
    title: 'Mixed content',
    description: 'Conformance fixture: returns text, an image and an embedded resource.',
    run: async () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  }),
  fixture({
    name: 'test_tool_with_logging',
    title: 'Logging',
    description: 'Conformance fixture: sends three info log notifications to the client while it runs.',
    run: async (_input, ctx) => {
      await ctx.notify('info', 'Tool execution started');
      await sleep(50);
      await ctx.notify('info', 'Tool processing data');
      await sleep(50);
      await ctx.notify('info', 'Tool execution completed');
      return 'Tool with logging executed successfully';
    },
  }),
  fixture({
    name: 'test_tool_with_progress',
    title: 'Progress',
    description: 'Conformance fixture: reports progress 0, 50 and 100 of 100 when the call carries a progress token.',
    run: async (_input, ctx) => {
      for (const step of [0, 50, 100]) {
        await ctx.progress(step, 100, `Completed step ${step} of 100`);
        if (step < 100) await sleep(50);
      }
      return 'Progress reported: 0, 50, 100 of 100';
    },
  }),
  fixture({
    name: 'test_error_handling',
    title: 'Error',
    description: 'Conformance fixture: always fails, which must come back as a tool error result (isError).',
    run: async () => {
      throw new Error('This tool intentionally returns an error for testing');
    },
  }),
  fixture({
    name: 'test_sampling',
    title: 'Sampling',
    description: "Conformance fixture: asks the client's model to complete the given prompt (sampling/createMessage).",
    input: Type.Object({ prompt: Type.String({ description: 'The prompt to send to the LLM' }) }),
    run: async ({ prompt }, ctx) => {
      const answer = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 });
      const text = Array.isArray(answer.content) ? answer.content.find((c) => c.type === 'text')?.text : answer.content?.text;
      return `LLM response: ${text ?? 'No response'}`;
    },
  }),
  fixture({
    name: 'test_elicitation',
    title: 'Elicitation',
    description: 'Conformance fixture: asks the person for a response through elicitation/create.',
    input: Type.Object({ message: Type.String({ description: 'The message to show the user' }) }),
    run: async ({ message }, ctx) => {
      const answer = await ctx.elicit(message, {
        type: 'object',
        properties: { response: { type: 'string', description: "User's response" } },
        required: ['response'],
      });
      return `User response: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`;
    },
  }),
  fixture({
    name: 'test_elicitation_sep1034_defaults',
    title: 'Elicitation defaults',
    description: 'Conformance fixture: elicitation whose fields carry default values (SEP-1034).',
    run: async (_input, ctx) => {
      const answer = await ctx.elicit('Please review and update the form fields with defaults', {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'User name', default: 'John Doe' },
          age: { type: 'integer', description: 'User age', default: 30 },
          score: { type: 'number', description: 'User score', default: 95.5 },
          status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
          verified: { type: 'boolean', description: 'Verification status', default: true },
        },
        required: [],
      });
      return `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`;
    },
  }),
  fixture({
    name: 'test_elicitation_sep1330_enums',
    title: 'Elicitation enums',
    description: 'Conformance fixture: elicitation with the five enum schema forms of SEP-1330.',
    run: async (_input, ctx) => {
      const answer = await ctx.elicit('Please select options from the enum fields', {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', description: 'Select one option', enum: ['option1', 'option2', 'option3'] },
          titledSingle: {
            type: 'string',
            description: 'Select one option with titles',
            oneOf: [
              { const: 'value1', title: 'First Option' },
              { const: 'value2', title: 'Second Option' },
              { const: 'value3', title: 'Third Option' },
            ],
          },
          legacyEnum: {
            type: 'string',
            description: 'Select one option (legacy)',
            enum: ['opt1', 'opt2', 'opt3'],
            enumNames: ['Option One', 'Option Two', 'Option Three'],
          },
          untitledMulti: {
            type: 'array',
            description: 'Select multiple options',
            minItems: 1,
            maxItems: 3,
            items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
          },
          titledMulti: {
            type: 'array',
            description: 'Select multiple options with titles',
            minItems: 1,
            maxItems: 3,
            items: {
              anyOf: [
                { const: 'value1', title: 'First Choice' },
                { const: 'value2', title: 'Second Choice' },
                { const: 'value3', title: 'Third Choice' },
              ],
            },
          },
        },
        required: [],
      });
      return `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`;
    },
  }),
  fixture({
    name: 'json_schema_2020_12_tool',
    title: 'JSON Schema 2020-12',
    description: 'Conformance fixture: an input schema using JSON Schema 2020-12 ($schema, $defs, $ref) (SEP-1613).',
    // A plain JSON Schema object: the kernel publishes it as written and validates with AJV's 2020-12 build.
    input: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
      },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
    run: async (input) => `JSON Schema 2020-12 tool called with: ${JSON.stringify(input)}`,
  }),
];
