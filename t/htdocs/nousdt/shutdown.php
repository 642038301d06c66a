<?php
// PHP time goes on after the script: shutdown functions and destructors.
register_shutdown_function(function () {
    usleep(200000);
});
echo "ok";
