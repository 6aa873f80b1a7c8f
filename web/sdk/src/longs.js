// 64-bit integers (seq, request ids, *_ms times) decode as plain JavaScript numbers, not Long
// objects: a room's seq and an epoch-millisecond time stay far below 2^53, and numbers are what
// application code compares, sorts and stores. protobufjs picks Long when the `long` package can
// be required (Node), so switch it off before the generated code reads $util.Long for its
// defaults: this module must be imported before ../gen/ponte.js.
import $protobuf from 'protobufjs/minimal.js';

$protobuf.util.Long = null;
$protobuf.configure();
