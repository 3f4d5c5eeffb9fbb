// A real tus 1.0 server for t/upload/tus_client.t: @tus/server with its
// file store, on 127.0.0.1 only, with no size limit of its own (what it is
// handed is what the front end let through).
//
//   node server.mjs DIR PORT
//
// Uploads are stored in DIR under /files/; each finished upload is logged
// on stdout as "finished ID SIZE".
import http from 'node:http';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const [dir, port] = process.argv.slice(2);
const tus = new Server({
    path: '/files',
    datastore: new FileStore({ directory: dir }),
    onUploadFinish: async (req, res, upload) => {
        console.log(`finished ${upload.id} ${upload.offset}`);
        return res;
    },
});
http.createServer((req, res) => tus.handle(req, res))
    .listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
