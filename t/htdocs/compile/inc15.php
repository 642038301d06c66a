<?php
function f_15() { return 15; }
