// Cross-checks the converted MobileNetV2 embedding three ways on one image:
// TF.js running the original nsfwjs layers model (the ground truth), the
// numpy reference pass of convert_nsfwjs_mobilenetv2.py, and onnxruntime
// running the converted ONNX file.
//
//   mkdir /tmp/js && cd /tmp/js && npm init -y &&
//     npm install --ignore-scripts @tensorflow/tfjs@4 onnxruntime-node@1.30.0
//   tar xzf nsfwjs-4.3.0.tgz -C /tmp/nsfwjs
//   NODE_PATH=/tmp/js/node_modules node features/models/check_nsfwjs_onnx.js \
//     /tmp/nsfwjs/package model.onnx model.onnx.check
//
// It prints the largest absolute differences and exits non-zero when the
// ONNX or numpy embedding is further than 1e-4 (relative to the embedding's
// largest value) from TF.js's.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const ort = require('onnxruntime-node');

async function main() {
  const [pkgDir, onnxPath, checkDir] = process.argv.slice(2);
  const md = path.join(pkgDir, 'dist/models/mobilenet_v2');
  const model = require(path.join(md, 'model.min.js'));
  const shard = String(require(path.join(md, 'group1-shard1of1.min.js')));
  const bytes = Buffer.from(shard, 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const specs = model.weightsManifest.flatMap(g => g.weights);
  await tf.setBackend('cpu');
  const full = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, weightSpecs: specs, weightData,
  }));
  const cut = tf.model({ inputs: full.inputs, outputs: full.getLayer('out_relu').output });

  const readF32 = f => { const b = fs.readFileSync(f); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
  const x = readF32(path.join(checkDir, 'input_nhwc.f32'));
  const ref = readF32(path.join(checkDir, 'numpy_embedding.f32'));

  const tfEmb = cut.predict(tf.tensor4d(x, [1, 224, 224, 3])).mean([1, 2]).dataSync();

  const nchw = new Float32Array(3 * 224 * 224);
  for (let h = 0; h < 224; h++) for (let w = 0; w < 224; w++) for (let c = 0; c < 3; c++)
    nchw[c * 224 * 224 + h * 224 + w] = x[(h * 224 + w) * 3 + c];
  const sess = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 2 });
  const out = await sess.run({ input: new ort.Tensor('float32', nchw, [1, 3, 224, 224]) });
  const onnxEmb = out.embedding.data;

  const maxAbs = a => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const diff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const scale = maxAbs(tfEmb);
  const r = {
    length: onnxEmb.length, tfjs_max: scale,
    onnx_vs_tfjs: diff(onnxEmb, tfEmb), numpy_vs_tfjs: diff(ref, tfEmb), onnx_vs_numpy: diff(onnxEmb, ref),
  };
  console.log(JSON.stringify(r));
  fs.writeFileSync(path.join(checkDir, 'tfjs_embedding.f32'), Buffer.from(tfEmb.buffer));
  if (r.length !== 1280 || r.onnx_vs_tfjs > 1e-4 * scale || r.numpy_vs_tfjs > 1e-4 * scale) process.exit(1);
}
main().catch(e => { console.error(e); process.exit(2); });
