// Reads a labelfree manifest with hyparquet, an independent JavaScript
// Parquet implementation, and prints it as JSON for store_test.go.
// Usage: HYPARQUET=/path/to/node_modules/hyparquet node read_manifest.mjs manifest.parquet
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const { asyncBufferFromFile, parquetReadObjects, parquetMetadataAsync } =
  await import(pathToFileURL(path.join(process.env.HYPARQUET, 'src', 'node.js')).href)
const file = await asyncBufferFromFile(process.argv[2])
const meta = await parquetMetadataAsync(file)
const rows = await parquetReadObjects({ file })
const kv = Object.fromEntries((meta.key_value_metadata || []).map(e => [e.key, e.value]))
console.log(JSON.stringify({ classes: JSON.parse(kv['labelfree.classes'] || '[]'), rows },
  (k, v) => typeof v === 'bigint' ? Number(v) : v))
