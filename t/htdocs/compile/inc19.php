<?php
function f_19() { return 19; }
