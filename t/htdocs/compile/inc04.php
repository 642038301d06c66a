<?php
function f_04() { return 4; }
