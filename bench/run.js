/**
 * `npm run bench`: builds first (see package.json), then runs the benchmarks that import the built code in
 * dist/. Each bench module exports `run()`; add yours to the list.
 */
const benches = ['./ipvsadm-parse.js'];

for (const path of benches) {
  console.log(`\n== ${path}`);
  const mod = await import(path);
  await mod.run();
}
