// A real tus 1.0 client for t/upload/tus_client.t: tus-js-client uploads
// SIZE bytes to ENDPOINT in appends of CHUNK bytes, declaring the length
// at creation, or (DEFER 1) only at the end, as a client streaming data
// of unknown size does.  No retries: the test wants the first answer.
//
//   node client.mjs ENDPOINT SIZE CHUNK DEFER
//
// Prints one line of JSON: ok, status (of the failing response), the
// Tus-Max-Size it carried, the upload's URL and the bytes acknowledged.
import { Upload } from 'tus-js-client';

const [endpoint, size, chunk, defer] = process.argv.slice(2);
const data = Buffer.alloc(Number(size), 't');
let acked = 0;
const upload = new Upload(data, {
    endpoint,
    chunkSize: Number(chunk),
    uploadLengthDeferred: defer === '1',
    retryDelays: [],
    onChunkComplete: (sent, accepted) => { acked = accepted; },
    onError: (err) => {
        const res = err.originalResponse;
        console.log(JSON.stringify({
            ok: false,
            status: res ? res.getStatus() : 0,
            maxSize: res ? res.getHeader('Tus-Max-Size') || null : null,
            url: upload.url, acked, error: String(err.message).slice(0, 300),
        }));
    },
    onSuccess: () => {
        console.log(JSON.stringify({ ok: true, status: 0, url: upload.url,
                                     acked }));
    },
});
upload.start();
