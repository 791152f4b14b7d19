require('fs').writeFileSync('schemas-out', 'x')
