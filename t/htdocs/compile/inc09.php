<?php
function f_09() { return 9; }
