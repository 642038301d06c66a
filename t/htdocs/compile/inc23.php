<?php
function f_23() { return 23; }
