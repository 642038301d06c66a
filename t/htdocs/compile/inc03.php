<?php
function f_03() { return 3; }
