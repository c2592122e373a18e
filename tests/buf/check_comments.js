// Fails when a contract element has no comment. ARCHITECTURE.md: every field states its unit or
// format; buf's own COMMENT_* rules accept only leading comments, while these contracts put
// most field comments on the same line, so this check accepts either.
// Usage: node check_comments.js IMAGE.json   (IMAGE from `buf build --exclude-imports -o x.json`)
'use strict';
const fs = require('fs');

const image = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const problems = [];

for (const file of image.file || []) {
  const commented = new Set();
  for (const loc of (file.sourceCodeInfo || {}).location || []) {
    const text = (loc.leadingComments || '') + (loc.trailingComments || '') +
                 (loc.leadingDetachedComments || []).join('');
    if (text.trim() !== '') commented.add((loc.path || []).join('.'));
  }
  const need = (path, what) => {
    if (!commented.has(path.join('.'))) problems.push(`${file.name}: ${what} has no comment`);
  };
  need([12], 'the file (a comment above `syntax`)');

  const enumCheck = (e, path, scope) => {
    need(path, `enum ${scope}${e.name}`);
    (e.value || []).forEach((v, i) => need([...path, 2, i], `enum value ${v.name}`));
  };
  const messageCheck = (m, path, scope) => {
    const name = `${scope}${m.name}`;
    need(path, `message ${name}`);
    (m.field || []).forEach((f, i) => need([...path, 2, i], `field ${name}.${f.name}`));
    (m.oneofDecl || []).forEach((o, i) => {
      // proto3 `optional` fields live in synthetic oneofs that have no source of their own.
      const synthetic = (m.field || []).some(f => f.proto3Optional && f.oneofIndex === i);
      if (!synthetic) need([...path, 8, i], `oneof ${name}.${o.name}`);
    });
    (m.nestedType || []).forEach((n, i) => messageCheck(n, [...path, 3, i], `${name}.`));
    (m.enumType || []).forEach((e, i) => enumCheck(e, [...path, 4, i], `${name}.`));
  };
  (file.messageType || []).forEach((m, i) => messageCheck(m, [4, i], ''));
  (file.enumType || []).forEach((e, i) => enumCheck(e, [5, i], ''));
  (file.service || []).forEach((s, i) => {
    need([6, i], `service ${s.name}`);
    (s.method || []).forEach((r, j) => need([6, i, 2, j], `rpc ${s.name}.${r.name}`));
  });
}

for (const p of problems) console.error(p);
if (problems.length > 0) process.exit(1);
console.log(`comments: every element of ${(image.file || []).length} files is commented`);
