<?php
usleep(2000);
echo "ok";
