<?php
// A closure, called by a static method of a class from an included file,
// from eval()'d code: each frame named as debug_backtrace() would.
require __DIR__ . '/lib_runner.php';
eval('Runner::run(function () { usleep(300000); });');
echo "evaluated";
