<?php
function f_06() { return 6; }
