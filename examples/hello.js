async function main(params) {
  console.log(`greeting ${params.name || 'world'}`);
  return { greeting: `Hello, ${params.name || 'world'}!` };
}
