<?php
// The sleep is in the included file's own code: the frame is "require".
require __DIR__ . '/lib_sleeps.php';
echo "included";
