<?php
// A front controller for t/68routes.t: every URL of its vhosts comes here
// (FallbackResource, DirectoryIndex).  /slow/... is slow enough for the
// slow log; /throw/... throws and catches one exception; /warn/... logs
// a PHP warning; /missing/...
// answers 404, as a CMS does for a scanner's guesses.
$u = $_SERVER['REQUEST_URI'];
if (strncmp($u, '/slow/', 6) === 0)
    usleep(30000);
if (strncmp($u, '/warn/', 6) === 0)
    trigger_error('t/68routes.t warns', E_USER_WARNING);
if (strncmp($u, '/missing/', 9) === 0)
    http_response_code(404);
if (strncmp($u, '/throw/', 7) === 0) {
    try { throw new RuntimeException('x'); } catch (RuntimeException $e) { }
}
echo "ok";
