<?php
function f_25() { return 25; }
