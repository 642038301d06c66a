<?php
function f_20() { return 20; }
