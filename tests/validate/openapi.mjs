// Lints an OpenAPI document with @apidevtools/swagger-parser (schema validation plus
// $ref resolution). Usage: node tests/validate/openapi.mjs FILE   (from the repository root)
import SwaggerParser from '@apidevtools/swagger-parser';

const file = process.argv[2];
try {
  const api = await SwaggerParser.validate(file);
  console.log(`ok - ${api.info.title} ${api.info.version}: ${Object.keys(api.paths).length} paths`);
} catch (e) {
  console.log(`not ok - ${e.message}`);
  process.exit(1);
}
