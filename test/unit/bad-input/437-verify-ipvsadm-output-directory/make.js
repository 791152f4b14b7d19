require('fs').mkdirSync('saved')
